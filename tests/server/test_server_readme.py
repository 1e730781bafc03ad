"""The README's hover and inlay hints ("In the editor") are what a real session with
``shapelint server`` shows: this test opens ``examples/vae_decoder.py`` as an editor would,
asks for the inlay hints and for a hover, renders them as text, and compares them with the
README's blocks (on a mismatch, the message holds the text to paste)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import List

import pytest
from lsprotocol import types

from support.lsp import open_buffer, position_of, session, until

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "vae_decoder.py"
README = ROOT / "README.md"
#: A README block is the ```text fence right after its marker comment.
MARKER = "<!-- from a real session (tests/server/test_server_readme.py): {} -->"


def readme_block(name: str) -> str:
    found = re.search(re.escape(MARKER.format(name)) + r"\n```text\n(.*?)```", README.read_text(), re.S)
    assert found is not None, f"README.md has no block marked {MARKER.format(name)}"
    return found.group(1)


def with_hints(text: str, hints: List[types.InlayHint], first: int, last: int) -> str:
    """Lines ``first``..``last`` (0-based) as an editor shows them: each hint at its place."""
    lines = text.splitlines()
    out = []
    for row in range(first, last + 1):
        line = lines[row]
        for hint in sorted((h for h in hints if h.position.line == row), key=lambda h: -h.position.character):
            pad = " " if hint.padding_left else ""
            line = line[:hint.position.character] + pad + hint.label + line[hint.position.character:]
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.mark.asyncio
async def test_the_readme_shows_a_real_session(tmp_path: Path):
    text = EXAMPLE.read_text()
    (tmp_path / "vae_decoder.py").write_text(text)
    async with session(tmp_path) as client:
        uri = open_buffer(client, tmp_path / "vae_decoder.py", text)
        await until(lambda: uri in client.diagnostics)
        lines = text.splitlines()
        first = lines.index("class Decoder(nn.Module):")
        last = next(n for n, line in enumerate(lines) if line.strip().startswith("return torch.sigmoid"))
        hints = await client.text_document_inlay_hint_async(types.InlayHintParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=types.Position(line=first, character=0),
                              end=types.Position(line=last + 1, character=0))))
        shown = with_hints(text, hints, first, last)
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position_of(text, "self.deconv1(x)", 0)))
        assert isinstance(hover.contents, types.MarkupContent)
        hovered = hover.contents.value + "\n"
    assert shown == readme_block("inlay hints"), "README block (inlay hints) should be:\n" + shown
    assert hovered == readme_block("hover on self.deconv1 in forward"), \
        "README block (hover) should be:\n" + hovered
