"""Random edits of a model buffer, as a person typing makes them (half-typed calls, unclosed
brackets and strings, stray indentation, non-ASCII text): one server takes them all, answers
every hover, inlay-hint and code-action request, publishes the diagnostics of the last text,
and exits 0 at the end. A crash, a hang or an error answer fails the test."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from lsprotocol import types

from shapelint.frontends.server.analysis import analyse
from shapelint.frontends.server.settings import WorkspaceSettings
from support.lsp import TIMEOUT_S, close, open_buffer, session, until

ROOT = Path(__file__).resolve().parents[2]
START = (ROOT / "examples" / "broken_decoder.py").read_text() + (ROOT / "examples" / "classifier.py").read_text()

FRAGMENTS = ["(", ")", "[", "]", ",", ":", "\n", "    ", "\t", "#", "'", '"""', "\\", "x", "self.", "nn.Conv2d(3, 8, 3)",
             "nn.ConvTranspose2d(8, 4, 4, 2, 1)", "def forward(self, x):\n        return x\n", "class A(nn.Module):\n",
             "torch.cat([x, x], 1)", "x.view(-1, 8)", "# shapelint: input=(1, 3, 8, 8)", "  # noqa: SHP101", "0",
             "-1", "ü😋", "\r\n", "import torch.nn as nn\n", "lambda: ", "**", "=", ""]


@st.composite
def edits(draw):
    """Edits as (start offset, end offset, replacement), relative positions in [0, 1]."""
    count = draw(st.integers(1, 6))
    return [(draw(st.floats(0, 1)), draw(st.integers(0, 40)), draw(st.sampled_from(FRAGMENTS)))
            for _ in range(count)]


class Editor:
    """The buffer as the client holds it, and the incremental changes it sends."""

    def __init__(self, client, uri: str, text: str) -> None:
        self.client, self.uri, self.text, self.version = client, uri, text, 1

    def position(self, offset: int) -> types.Position:
        before = self.text[:offset]
        line = before.count("\n")
        start = before.rfind("\n") + 1
        # UTF-16 units, as this client announces.
        return types.Position(line=line, character=sum(2 if ord(c) > 0xFFFF else 1 for c in before[start:]))

    def edit(self, where: float, length: int, new: str) -> None:
        start = int(where * len(self.text))
        # Never inside a \r\n (an editor's positions are between lines' characters).
        if 0 < start < len(self.text) and self.text[start - 1] == "\r" and self.text[start] == "\n":
            start -= 1
        end = min(len(self.text), start + length)
        if 0 < end < len(self.text) and self.text[end - 1] == "\r" and self.text[end] == "\n":
            end += 1
        change = types.TextDocumentContentChangePartial(
            range=types.Range(start=self.position(start), end=self.position(end)), text=new)
        self.text = self.text[:start] + new + self.text[end:]
        self.version += 1
        self.client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=self.uri, version=self.version),
            content_changes=[change]))


@pytest.fixture(scope="module")
def editor(tmp_path_factory):
    """One server for every example (a session is long): its event loop, client and buffer."""
    root = tmp_path_factory.mktemp("fuzz")
    loop = asyncio.new_event_loop()
    context = session(root)
    client = loop.run_until_complete(context.__aenter__())
    uri = open_buffer(client, root / "model.py", START)
    loop.run_until_complete(until(lambda: uri in client.diagnostics))
    buffer = Editor(client, uri, START)
    yield loop, buffer
    # The server's copy of the buffer is the client's: what it published for the last text is
    # what that text gives here.
    expected = analyse(buffer.text, buffer.version, str(root / "model.py"), WorkspaceSettings(), files=None)
    assert sorted((str(d.code), d.range.start.line) for d in client.diagnostics[uri]) == \
        sorted((d.code, d.row - 1) for d in expected.diagnostics)
    server = client._server
    loop.run_until_complete(close(client))
    loop.close()
    assert server.returncode == 0  # shutdown, then exit 0: it never crashed


async def exercise(editor: Editor, changes, probe: float) -> None:
    for where, length, new in changes:
        editor.edit(where, length, new)
    identifier = types.TextDocumentIdentifier(uri=editor.uri)
    lines = max(1, editor.text.count("\n") + 1)
    whole = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=lines, character=0))
    position = editor.position(int(probe * len(editor.text)))
    client = editor.client
    await asyncio.wait_for(asyncio.gather(
        client.text_document_hover_async(types.HoverParams(text_document=identifier, position=position)),
        client.text_document_inlay_hint_async(types.InlayHintParams(text_document=identifier, range=whole)),
        client.text_document_code_action_async(types.CodeActionParams(
            text_document=identifier, range=types.Range(start=position, end=position),
            context=types.CodeActionContext(diagnostics=[]))),
    ), TIMEOUT_S)
    # The diagnostics of the last text arrive.
    await until(lambda: client.versions.get(editor.uri) == editor.version)


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(changes=edits(), probe=st.floats(0, 1))
def test_random_edits_never_crash_or_hang_the_server(editor, changes, probe):
    loop, buffer = editor
    loop.run_until_complete(exercise(buffer, changes, probe))
    assert buffer.client.error is None
