"""What an editor needs of a server beyond the happy path: a huge file never stalls a request
for long nor the exit, a request the client cancels is answered as cancelled at once, and
bad input (settings, text that is not Python at all) is reported, never a crash."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled

from shapelint.frontends.server.state import WAIT_S
from support.lsp import codes, open_buffer, session, until

ROOT = Path(__file__).resolve().parents[2]

BLOCK = '''

class Net{i}(nn.Module):  # shapelint: input=(2, 3, 64, 64)
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(3, 16, 3, padding=1)
        self.b = nn.Conv2d(16, 16, 3, stride=2, padding=1)
        self.c = nn.Conv2d(16, 32, 3, stride=2, padding=1)

    def forward(self, x):
        x = self.a(x)
        x = self.b(x)
        return self.c(x)
'''


def huge_model(blocks: int) -> str:
    return "import torch.nn as nn\n" + "".join(BLOCK.replace("{i}", str(i)) for i in range(blocks))


@pytest.mark.asyncio
async def test_a_huge_file_never_stalls_a_request_or_the_exit(tmp_path: Path):
    async with session(tmp_path) as client:
        huge = huge_model(1_500)  # about 20,000 lines: seconds of analysis
        uri = open_buffer(client, tmp_path / "huge.py", huge)
        identifier = types.TextDocumentIdentifier(uri=uri)
        started = time.monotonic()
        await client.text_document_inlay_hint_async(types.InlayHintParams(
            text_document=identifier, range=types.Range(start=types.Position(line=0, character=0),
                                                         end=types.Position(line=50, character=0))))
        # Answered once the analysis is in, or after WAIT_S with what there is: never later.
        assert time.monotonic() - started < WAIT_S + 5
        # While it is analysed (or after), the exit is prompt.
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=huge + "\n")]))
        started = time.monotonic()
        await client.shutdown_session()
        assert client._server.returncode == 0
        assert time.monotonic() - started < 10


@pytest.mark.asyncio
async def test_a_cancelled_request_is_answered_as_cancelled(tmp_path: Path):
    async with session(tmp_path) as client:
        uri = open_buffer(client, tmp_path / "huge.py", huge_model(1_500))
        request = client.protocol.send_request(types.TEXT_DOCUMENT_HOVER, types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=5, character=12)))
        msg_id = next(key for key, future in client.protocol._request_futures.items() if future is request)
        await asyncio.sleep(0.2)  # the server is waiting for the analysis now
        started = time.monotonic()
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
        with pytest.raises(JsonRpcRequestCancelled):
            await asyncio.wait_for(asyncio.wrap_future(request), WAIT_S + 5)
        assert time.monotonic() - started < WAIT_S


@pytest.mark.asyncio
async def test_bad_settings_are_said_and_the_defaults_used(tmp_path: Path):
    async with session(tmp_path, options={"select": ["NOPE"]}) as client:
        uri = open_buffer(client, tmp_path / "m.py", (ROOT / "examples" / "broken_decoder.py").read_text())
        await until(lambda: codes(client, uri))
        assert codes(client, uri) == ["SHP101", "SHP102", "SHP201"]
        await until(lambda: any("settings: invalid value 'NOPE'" in m.message for m in client.log_messages))


@pytest.mark.asyncio
async def test_text_that_is_not_python_is_shp001(tmp_path: Path):
    async with session(tmp_path) as client:
        uri = open_buffer(client, tmp_path / "m.py", "import torch.nn as nn\n\x00\x00 nn.Conv2d(((((\n" + "(" * 5000)
        await until(lambda: codes(client, uri))
        assert codes(client, uri) == ["SHP001"]
