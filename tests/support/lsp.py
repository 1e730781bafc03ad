"""``shapelint server`` driven over stdio by pytest-lsp's client, as an editor drives it.

:func:`session` starts the server process and initializes it with a real editor's
capabilities; the helpers open and edit buffers, wait for diagnostics, and apply the edits a
code action returns.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from lsprotocol import types
from pygls.uris import from_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

#: How long a test waits for what the server owes it (the machine is shared: generous).
TIMEOUT_S = 30.0

SERVER = [sys.executable, "-m", "shapelint", "server"]


def server_env(**extra: str) -> Dict[str, str]:
    env = dict(os.environ)
    # Internal errors are contained as they are for a user, not raised as under pytest.
    env.pop("PYTEST_CURRENT_TEST", None)
    env.update(extra)
    return env


def make_client() -> LanguageClient:
    """pytest-lsp's client, which also keeps the version each publication of diagnostics is
    for (``client.versions``) and accepts the server's registrations, as an editor does."""
    from pygls.protocol import default_converter

    client = LanguageClient(converter_factory=default_converter)
    client.versions = {}

    def publish(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        client.versions[params.uri] = params.version

    def register(client: LanguageClient, params: types.RegistrationParams) -> None:
        return None

    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    features[types.CLIENT_REGISTER_CAPABILITY] = register
    register_lsp_features(client, features)
    return client


@contextlib.asynccontextmanager
async def session(root: Path, editor: str = "visual-studio-code", options: Optional[dict] = None,
                  configuration: Optional[dict] = None):
    """A client connected to a fresh server, initialized for the workspace ``root``."""
    config = ClientServerConfig(server_command=SERVER, server_env=server_env(), client_factory=make_client)
    client: LanguageClient = await config.start()
    if configuration is not None:
        client.set_configuration(configuration, section="shapelint")
    try:
        await client.initialize_session(types.InitializeParams(
            capabilities=client_capabilities(editor),
            root_uri=from_fs_path(str(root)),
            workspace_folders=[types.WorkspaceFolder(uri=from_fs_path(str(root)), name=root.name)],
            initialization_options=options,
        ))
        yield client
    finally:
        await close(client)


async def close(client: LanguageClient) -> None:
    """Shut the server down as an editor does (unless the test did), then stop the client;
    a server that does not exit in time is killed, and the test then fails on its own."""
    server = client._server
    if server is not None and server.returncode is None:
        try:
            await asyncio.wait_for(client.shutdown_session(), TIMEOUT_S)
        except Exception:
            server.kill()
            await server.wait()
    await client.stop()


def uri_of(path: Path) -> str:
    return from_fs_path(str(path))


def open_buffer(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    uri = uri_of(path)
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=version, text=text)))
    return uri


def replace_buffer(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def until(condition: Callable[[], Any], timeout: float = TIMEOUT_S) -> Any:
    """Wait until ``condition()`` is true (its value); fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {condition}")
        await asyncio.sleep(0.01)


def codes(client: LanguageClient, uri: str) -> List[str]:
    return sorted(str(d.code) for d in client.diagnostics.get(uri, ()))


def offset_of(text: str, position: types.Position) -> int:
    """The offset of an LSP position (UTF-16 units, as the clients here count) in ``text``."""
    lines = text.splitlines(keepends=True)
    offset = sum(len(line) for line in lines[:position.line])
    content = lines[position.line].rstrip("\r\n") if position.line < len(lines) else ""
    units = 0
    for index, char in enumerate(content):
        if units >= position.character:
            return offset + index
        units += 2 if ord(char) > 0xFFFF else 1
    return offset + len(content)


def apply_text_edits(text: str, edits: Sequence[types.TextEdit]) -> str:
    """``text`` with the edits applied, as an editor applies a workspace edit."""
    spans = sorted(((offset_of(text, e.range.start), offset_of(text, e.range.end), e.new_text) for e in edits),
                   reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


def position_of(text: str, needle: str, occurrence: int = 0) -> types.Position:
    """The position of the ``occurrence``-th ``needle`` in ``text`` (ASCII lines)."""
    offset = -1
    for _ in range(occurrence + 1):
        offset = text.index(needle, offset + 1)
    line = text.count("\n", 0, offset)
    return types.Position(line=line, character=offset - (text.rfind("\n", 0, offset) + 1))
