"""End to end: ``shapelint server`` over stdio, driven by pytest-lsp's client with the
capabilities of real editors, through the session an editor has with it.

The buffer differs from the file on disk (the disk has the fixed decoder, the buffer the broken
one): what the server reports is the buffer's.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from lsprotocol import types

from support.lsp import apply_text_edits, codes, open_buffer, position_of, replace_buffer, session, until

ROOT = Path(__file__).resolve().parents[2]
BROKEN = (ROOT / "examples" / "broken_decoder.py").read_text()
FIXED = BROKEN.replace("kernel_size=3, stride=2", "kernel_size=4, stride=2")
FIXED = FIXED.replace("BatchNorm2d(23)", "BatchNorm2d(32)")
#: The line of the ConvTranspose2d that gives 31 instead of 32 (0-based).
CONV_LINE = next(n for n, line in enumerate(BROKEN.splitlines()) if "nn.ConvTranspose2d(64, 32" in line)

EDITORS = ["visual-studio-code", "neovim@v0.11.0", "emacs"]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (tmp_path / "decoder.py").write_text(FIXED)
    return tmp_path


def hover_text(hover: types.Hover) -> str:
    assert isinstance(hover.contents, types.MarkupContent)
    return hover.contents.value


@pytest.mark.asyncio
@pytest.mark.parametrize("editor", EDITORS)
async def test_a_session_from_open_to_exit(project: Path, editor: str):
    path = project / "decoder.py"
    async with session(project, editor) as client:
        uri = open_buffer(client, path, BROKEN)
        # Diagnostics of the buffer (the disk has none of them), with the contradicted
        # declaration as a related location.
        await until(lambda: codes(client, uri))
        assert codes(client, uri) == ["SHP101", "SHP102", "SHP201"]
        mismatch = next(d for d in client.diagnostics[uri] if d.code == "SHP101")
        assert mismatch.range.start.line == CONV_LINE
        assert mismatch.severity == types.DiagnosticSeverity.Error
        assert [(r.location.uri, r.location.range.start.line) for r in mismatch.related_information] == \
            [(uri, BROKEN.splitlines().index("# shapelint: input=(4, 128, 8, 8) output=(4, 3, 64, 64)"))]

        # Hover on the ConvTranspose2d line: its name in named_modules(), input and output.
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position_of(BROKEN, "ConvTranspose2d(64, 32")))
        text = hover_text(hover)
        assert "`3`" in text and "ConvTranspose2d" in text
        assert "[4, 64, 16, 16] -> [4, 32, 31, 31]" in text

        # Inlay hints carry each layer's output at the end of its line.
        hints = await client.text_document_inlay_hint_async(types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=0, character=0),
                              end=types.Position(line=len(BROKEN.splitlines()), character=0))))
        by_line = {h.position.line: h.label for h in hints}
        assert by_line[CONV_LINE] == "→ [4, 32, 31, 31]"
        assert by_line[CONV_LINE - 3] == "→ [4, 64, 16, 16]"
        assert all(h.position.character == len(BROKEN.splitlines()[h.position.line]) for h in hints)

        # The quick fix of the BatchNorm2d: an edit that, applied, clears its diagnostic.
        channel = next(d for d in client.diagnostics[uri] if d.code == "SHP102")
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=channel.range,
            context=types.CodeActionContext(diagnostics=[channel])))
        fix = next(a for a in actions if a.title.startswith("SHP102") and "noqa" not in a.title)
        assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
        assert any(a.title.startswith("SHP102: silence") for a in actions)
        fixed = apply_text_edits(BROKEN, fix.edit.changes[uri])
        assert "nn.BatchNorm2d(32)" in fixed and fixed.count("\n") == BROKEN.count("\n")
        replace_buffer(client, uri, fixed, 2)
        await until(lambda: "SHP102" not in codes(client, uri))
        assert codes(client, uri) == ["SHP101", "SHP201"]

        # Save, close (its diagnostics go), shutdown, exit 0.
        path.write_text(fixed)
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        await until(lambda: len(client.diagnostics[uri]) == 0)
        await client.shutdown_session()
        assert client._server.returncode == 0


@pytest.mark.asyncio
async def test_fix_all_safe_applies_every_safe_fix(project: Path):
    async with session(project) as client:
        uri = open_buffer(client, project / "decoder.py", BROKEN)
        await until(lambda: codes(client, uri))
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=0, character=0), end=types.Position(line=0, character=0)),
            context=types.CodeActionContext(diagnostics=[], only=["source.fixAll"])))
        assert [a.kind for a in actions] == ["source.fixAll.shapelint"]
        fixed = apply_text_edits(BROKEN, actions[0].edit.changes[uri])
        replace_buffer(client, uri, fixed, 2)
        await until(lambda: "SHP102" not in codes(client, uri))
        # What check --fix fixes in one round: the channel count and the kernel (both safe).
        assert codes(client, uri) == []
        assert fixed == FIXED


@pytest.mark.asyncio
async def test_noqa_action_silences_the_line(project: Path):
    async with session(project) as client:
        uri = open_buffer(client, project / "decoder.py", BROKEN)
        await until(lambda: codes(client, uri))
        warning = next(d for d in client.diagnostics[uri] if d.code == "SHP201")
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=warning.range,
            context=types.CodeActionContext(diagnostics=[warning])))
        noqa = next(a for a in actions if a.title == "SHP201: silence on this line (# noqa: SHP201)")
        silenced = apply_text_edits(BROKEN, noqa.edit.changes[uri])
        assert "# 16 -> 32? No: 31  # noqa: SHP201" in silenced
        replace_buffer(client, uri, silenced, 2)
        await until(lambda: "SHP201" not in codes(client, uri))
        assert codes(client, uri) == ["SHP101", "SHP102"]


@pytest.mark.asyncio
async def test_project_settings_and_workspace_settings_apply(project: Path):
    (project / "pyproject.toml").write_text("[tool.shapelint]\nignore = [\"SHP201\"]\n")
    async with session(project, configuration={"ignore": ["SHP102"]}) as client:
        uri = open_buffer(client, project / "decoder.py", BROKEN)
        await until(lambda: codes(client, uri))
        assert codes(client, uri) == ["SHP101"]


@pytest.mark.asyncio
async def test_an_import_resolves_from_the_open_buffer_first(project: Path):
    """``net.py`` imports a block from ``blocks.py``: the block as the buffer has it, unsaved."""
    (project / "blocks.py").write_text(
        "import torch.nn as nn\n\n\ndef make_up():\n    return nn.ConvTranspose2d(8, 8, 4, 2, 1)\n")
    net = ("import torch.nn as nn\nfrom blocks import make_up\n\n"
           "# shapelint: input=(1, 8, 16, 16) output=(1, 8, 32, 32)\nnet = nn.Sequential(make_up())\n")
    (project / "net.py").write_text(net)
    async with session(project) as client:
        blocks_uri = open_buffer(client, project / "blocks.py",
                                 (project / "blocks.py").read_text().replace("4, 2, 1", "3, 2, 1"))
        uri = open_buffer(client, project / "net.py", net)
        await until(lambda: "SHP101" in codes(client, uri))
        # Fixed in the buffer of blocks.py (still unsaved): net.py is analysed again.
        replace_buffer(client, blocks_uri, (project / "blocks.py").read_text(), 2)
        await until(lambda: uri in client.diagnostics and codes(client, uri) == [])


@pytest.mark.asyncio
async def test_half_typed_code_keeps_the_hints_of_the_other_lines(project: Path):
    async with session(project) as client:
        uri = open_buffer(client, project / "decoder.py", FIXED)
        await until(lambda: uri in client.diagnostics)
        lines = FIXED.splitlines(keepends=True)
        lines.insert(CONV_LINE + 1, "    nn.Conv2d(32, 32, \n")  # unclosed: a syntax error
        typing = "".join(lines)
        replace_buffer(client, uri, typing, 2)
        await until(lambda: codes(client, uri) == ["SHP001"])
        hints = await client.text_document_inlay_hint_async(types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=0, character=0),
                              end=types.Position(line=len(lines), character=0))))
        by_line = {h.position.line: h.label for h in hints}
        assert by_line[CONV_LINE] == "→ [4, 32, 32, 32]"  # above the edit: as it was
        assert by_line[CONV_LINE + 4] == "→ [4, 3, 64, 64]"  # below it: moved down one line
        assert CONV_LINE + 1 not in by_line


@pytest.mark.asyncio
async def test_a_file_deleted_while_open_is_still_checked(project: Path):
    path = project / "decoder.py"
    async with session(project) as client:
        uri = open_buffer(client, path, BROKEN)
        await until(lambda: codes(client, uri))
        path.unlink()
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
            changes=[types.FileEvent(uri=uri, type=types.FileChangeType.Deleted)]))
        replace_buffer(client, uri, FIXED, 2)
        await until(lambda: codes(client, uri) == [])
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=position_of(FIXED, "ConvTranspose2d(64, 32")))
        assert "[4, 64, 16, 16] -> [4, 32, 32, 32]" in hover_text(hover)


def test_without_the_extra_the_command_says_how_to_install_it(tmp_path: Path):
    import subprocess

    # A module that hides pygls: the import fails as it does where the extra is not installed.
    (tmp_path / "pygls.py").write_text("raise ImportError('no pygls here')\n")
    done = subprocess.run([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]);"
                           " from shapelint.frontends.cli import main; sys.exit(main(['server']))", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr == ("shapelint server: error: the language server needs the lsp extra:"
                           " pip install 'shapelint[lsp]'\n")


@pytest.mark.asyncio
async def test_an_edited_project_configuration_applies_at_once(project: Path):
    async with session(project) as client:
        uri = open_buffer(client, project / "decoder.py", BROKEN)
        await until(lambda: codes(client, uri))
        assert "SHP201" in codes(client, uri)
        (project / "pyproject.toml").write_text("[tool.shapelint]\nignore = [\"SHP201\"]\n")
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[types.FileEvent(
            uri=(project / "pyproject.toml").as_uri(), type=types.FileChangeType.Changed)]))
        await until(lambda: "SHP201" not in codes(client, uri))
        assert codes(client, uri) == ["SHP101", "SHP102"]
