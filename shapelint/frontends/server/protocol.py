"""The Language Server Protocol handlers (pygls): thin, each one a few calls into ``state``,
``views``, ``actions`` and ``convert``.

No handler may take the session down: an unexpected error is logged to the client
(``window/logMessage``) and the request answered with nothing.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
from typing import Any, List, Optional, Sequence

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from ... import __version__
from ...core.text import DECODE_ERRORS, decode_source, split_lines
from .actions import FIX_ALL_KIND, actions_for
from .analysis import Analysis, LineMap
from .convert import from_client, line_end, span_range, to_lsp_diagnostic
from .settings import read_settings
from .state import Buffer, Buffers
from .views import hover_at, inlay_hints

logger = logging.getLogger(__name__)

#: Files whose changes on disk change analyses: imports, and the projects' configuration.
WATCHED = ("**/*.py", "**/pyproject.toml", "**/shapelint.toml", "**/.shapelint.toml")


class ShapelintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("shapelint", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.buffers: Optional[Buffers] = None

    def state(self) -> Buffers:
        """The open buffers (made on the event loop, at the first message that needs them)."""
        if self.buffers is None:
            self.buffers = Buffers(self.publish, self.log)
        return self.buffers

    @property
    def encoding(self) -> str:
        return self.workspace.position_encoding or types.PositionEncodingKind.Utf16

    def log(self, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=message))
        except Exception:  # the client is gone: nobody to tell
            logger.warning("%s", message)

    def publish(self, buffer: Buffer, analysis: Analysis) -> None:
        analysis.published = [
            to_lsp_diagnostic(d, analysis.lines, self.encoding, buffer.path, from_fs_path, self.lines_of)
            for d in analysis.diagnostics
        ]
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=buffer.uri, version=analysis.version, diagnostics=analysis.published))

    def lines_of(self, path: str) -> Optional[List[str]]:
        """Another file's lines: its open buffer, else the disk; None when unreadable."""
        state = self.state()
        key = os.path.normcase(os.path.abspath(path))
        for buffer in state.buffers.values():
            if os.path.normcase(buffer.path) == key:
                return split_lines(buffer.text)
        try:
            with open(path, "rb") as handle:
                return split_lines(decode_source(handle.read()))
        except (OSError, *DECODE_ERRORS):
            return None


def guarded(handler):
    """Log an unexpected error and answer with nothing, instead of failing the request (or,
    for a notification, showing the user an error box for it)."""
    if _is_coroutine(handler):
        @functools.wraps(handler)
        async def run_async(server: ShapelintServer, params: Any):
            try:
                return await handler(server, params)
            except Exception as error:
                server.log(f"shapelint: internal error in {handler.__name__}: {type(error).__name__}: {error}")
                return None
        return run_async

    @functools.wraps(handler)
    def run(server: ShapelintServer, params: Any):
        try:
            return handler(server, params)
        except Exception as error:
            server.log(f"shapelint: internal error in {handler.__name__}: {type(error).__name__}: {error}")
            return None
    return run


def _is_coroutine(function) -> bool:
    import inspect

    return inspect.iscoroutinefunction(function)


def path_of(uri: str) -> str:
    """The file a buffer is for; an unsaved buffer (``untitled:``) is a file of the working
    directory with its name, so that it gets the configuration of the project it is opened in."""
    path = to_fs_path(uri)
    if path:
        return path
    name = uri.rsplit("/", 1)[-1].rsplit(":", 1)[-1] or "untitled"
    return os.path.join(os.getcwd(), name if name.endswith(".py") else name + ".py")


@guarded
def initialize(ls: ShapelintServer, params: types.InitializeParams) -> None:
    settings, error = read_settings(params.initialization_options)
    ls.state().settings = settings
    if error:
        ls.log(f"shapelint: {error}")


@guarded
async def initialized(ls: ShapelintServer, params: types.InitializedParams) -> None:
    capabilities = ls.client_capabilities.workspace
    watched = capabilities.did_change_watched_files if capabilities is not None else None
    await pull_settings(ls)
    if watched is not None and watched.dynamic_registration:
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern=g) for g in WATCHED])
        try:
            await ls.client_register_capability_async(types.RegistrationParams(registrations=[
                types.Registration(id="shapelint-watched-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                                   register_options=options)]))
        except Exception as error:  # a client that says it can and cannot: saves still count
            ls.log(f"shapelint: files are not watched: {error}", types.MessageType.Info)


@guarded
async def did_change_configuration(ls: ShapelintServer, params: types.DidChangeConfigurationParams) -> None:
    if isinstance(params.settings, dict) and params.settings:
        apply_settings(ls, params.settings)
    else:  # the client says "changed" and expects it to be asked
        await pull_settings(ls)


@guarded
def did_change_watched_files(ls: ShapelintServer, params: types.DidChangeWatchedFilesParams) -> None:
    state = ls.state()
    state.files_changed()
    configuration = any(not change.uri.endswith(".py") for change in params.changes)
    if configuration:
        state.reanalyse_all()  # a project's configuration changed
        return
    for change in params.changes:
        path = to_fs_path(change.uri)
        if path:
            state.dependents_changed(os.path.abspath(path))


@guarded
def did_open(ls: ShapelintServer, params: types.DidOpenTextDocumentParams) -> None:
    document = params.text_document
    ls.state().open(document.uri, path_of(document.uri), document.text, document.version)


@guarded
def did_change(ls: ShapelintServer, params: types.DidChangeTextDocumentParams) -> None:
    # pygls has applied the changes (full or incremental) to its copy of the document.
    document = ls.workspace.get_text_document(params.text_document.uri)
    ls.state().change(params.text_document.uri, document.source, params.text_document.version)


@guarded
def did_save(ls: ShapelintServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.state().saved(params.text_document.uri)


@guarded
def did_close(ls: ShapelintServer, params: types.DidCloseTextDocumentParams) -> None:
    if ls.state().close(params.text_document.uri) is not None:
        # Its diagnostics go with it (VS Code keeps a closed file's until told otherwise).
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=params.text_document.uri, diagnostics=[]))


@guarded
async def hover(ls: ShapelintServer, params: types.HoverParams) -> Optional[types.Hover]:
    buffer = await ls.state().settled(params.text_document.uri)
    if buffer is None or buffer.parsed is None:
        return None
    analysis = buffer.parsed
    lines = split_lines(buffer.text)
    row, col = from_client(lines, params.position, ls.encoding)
    rows = LineMap(analysis.lines, lines)
    old_row = rows.to_old(row)
    if old_row is None or analysis.view is None:
        return None
    found = hover_at(analysis.view, old_row, col)
    if found is None:
        return None
    start_row, start_col, end_row, end_col = found.span
    new_start, new_end = rows.to_new(start_row), rows.to_new(end_row)
    span = None
    if new_start is not None and new_end is not None:
        span = span_range(lines, new_start, start_col, new_end, end_col, ls.encoding)
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=found.markdown),
                       range=span)


@guarded
async def inlay_hint(ls: ShapelintServer, params: types.InlayHintParams) -> Optional[List[types.InlayHint]]:
    buffer = await ls.state().settled(params.text_document.uri)
    if buffer is None or buffer.parsed is None or buffer.parsed.view is None:
        return []
    analysis = buffer.parsed
    lines = split_lines(buffer.text)
    rows = LineMap(analysis.lines, lines)
    first, last = params.range.start.line + 1, params.range.end.line + 1
    hints = []
    for hint in inlay_hints(analysis.view, 1, len(analysis.lines)):
        row = rows.to_new(hint.row)
        if row is None or not first <= row <= last:
            continue
        hints.append(types.InlayHint(position=line_end(lines, row, ls.encoding), label=hint.label,
                                     kind=types.InlayHintKind.Type, tooltip=hint.tooltip, padding_left=True))
    return hints


@guarded
async def code_action(ls: ShapelintServer, params: types.CodeActionParams) -> Optional[List[types.CodeAction]]:
    uri = params.text_document.uri
    buffer = await ls.state().settled(uri)
    if buffer is None or buffer.latest is None or buffer.latest.text != buffer.text:
        return []  # a fix computed for another text would edit the wrong place
    analysis = buffer.latest
    first, last = params.range.start.line + 1, params.range.end.line + 1
    only: Optional[Sequence[str]] = params.context.only if params.context is not None else None
    return actions_for(uri, analysis.text, analysis.lines, analysis.diagnostics, analysis.published,
                       first, last, ls.encoding, only)


#: What the server answers: (method, handler, the options it announces).
HANDLERS = (
    (types.INITIALIZE, initialize, None),
    (types.INITIALIZED, initialized, None),
    (types.WORKSPACE_DID_CHANGE_CONFIGURATION, did_change_configuration, None),
    (types.WORKSPACE_DID_CHANGE_WATCHED_FILES, did_change_watched_files, None),
    (types.TEXT_DOCUMENT_DID_OPEN, did_open, None),
    (types.TEXT_DOCUMENT_DID_CHANGE, did_change, None),
    (types.TEXT_DOCUMENT_DID_SAVE, did_save, types.SaveOptions(include_text=False)),
    (types.TEXT_DOCUMENT_DID_CLOSE, did_close, None),
    (types.TEXT_DOCUMENT_HOVER, hover, None),
    (types.TEXT_DOCUMENT_INLAY_HINT, inlay_hint, types.InlayHintOptions(resolve_provider=False)),
    (types.TEXT_DOCUMENT_CODE_ACTION, code_action, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND], resolve_provider=False)),
)


def create_server() -> ShapelintServer:
    server = ShapelintServer()
    for method, handler, options in HANDLERS:
        server.feature(method, options)(handler)
    return server


async def pull_settings(ls: ShapelintServer) -> None:
    """Ask the client for the ``shapelint`` section, when it answers such requests."""
    workspace = ls.client_capabilities.workspace
    if workspace is None or not workspace.configuration:
        return
    answer = await ls.workspace_configuration_async(
        types.ConfigurationParams(items=[types.ConfigurationItem(section="shapelint")]))
    if answer and isinstance(answer[0], dict):
        apply_settings(ls, answer[0])


def apply_settings(ls: ShapelintServer, raw: Any) -> None:
    settings, error = read_settings(raw)
    if error:
        ls.log(f"shapelint: {error}")
        ls.window_show_message(types.ShowMessageParams(type=types.MessageType.Warning, message=f"shapelint: {error}"))
    ls.state().set_settings(settings)


def serve() -> int:
    """Run the server on stdin/stdout until the client says ``exit``: 0 after ``shutdown``, 1
    otherwise (as the protocol says)."""
    server = create_server()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # The protocol owns stdout: a stray print anywhere must go to stderr, never into its stream.
    sys.stdout = sys.stderr
    server.start_io(stdin, stdout)
    return 0 if getattr(server.protocol, "_shutdown", False) else 1
