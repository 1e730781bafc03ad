"""Latency and memory of ``shapelint server``, driven over stdio as an editor drives it.

Usage (needs the lsp extra: ``pip install -e '.[lsp]'``)::

    python benchmarks/server_latency.py                    # 200 timed edits, 1,000 for memory
    python benchmarks/server_latency.py --edits 50 --memory-edits 100   # a quick look
    python benchmarks/server_latency.py --write-results    # also write them to server_results.md

The model file is the 1,000-line one of ``benchmarks/run.py`` (DCGAN generators, U-Nets and
vocoders, repeated). The client opens it, waits for its diagnostics, makes warm-up edits, then
edits it one keystroke-sized change at a time (a layer's ``padding=1`` becomes ``padding=2`` and
back, each time in another class, so the analysis result changes), and times each edit from the
``didChange`` it sends to the ``publishDiagnostics`` of that version: median and p95, warm. Then
it makes ``--memory-edits`` more such edits, each waited for, and reads the server's resident
memory (``/proc/PID/status``) every 100 edits. The hover and inlay-hint requests after an edit are
timed too (they wait for the analysis of the current text).

The client is a few lines of JSON-RPC over the server's stdin/stdout (no LSP library), so what is
timed is the server.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as _dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
#: Its own file: benchmarks/run.py rewrites results.md whole.
RESULTS_MD = BENCH_DIR / "server_results.md"
TARGET_P95_MS = 150.0

sys.path.insert(0, str(BENCH_DIR))
from run import write_thousand_line_model  # noqa: E402


class Client:
    """A minimal LSP client over a subprocess's pipes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.next_id = 0
        self.waiting: Dict[int, asyncio.Future] = {}
        #: uri -> {version: the time its diagnostics arrived}
        self.published: Dict[str, Dict[int, float]] = {}
        self.new_publication = asyncio.Event()
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        stream = self.process.stdout
        while True:
            length = 0
            while True:
                line = await stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            message = json.loads(await stream.readexactly(length))
            now = time.perf_counter()
            if "id" in message and "method" not in message:
                future = self.waiting.pop(message["id"], None)
                if future is not None and not future.done():
                    future.set_result(message)
            elif message.get("method") == "textDocument/publishDiagnostics":
                params = message["params"]
                self.published.setdefault(params["uri"], {})[params.get("version")] = now
                self.new_publication.set()
            elif "id" in message:  # a request of the server's (configuration, registration)
                result: Any = [None] * len(message["params"].get("items", [])) \
                    if message.get("method") == "workspace/configuration" else None
                self._send({"jsonrpc": "2.0", "id": message["id"], "result": result})

    def _send(self, message: dict) -> None:
        body = json.dumps(message).encode("utf-8")
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        future = asyncio.get_running_loop().create_future()
        self.waiting[self.next_id] = future
        self._send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        await self.process.stdin.drain()
        answer = await asyncio.wait_for(future, 120)
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer.get("result")

    async def notify(self, method: str, params: Any) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})
        await self.process.stdin.drain()

    async def diagnostics_of(self, uri: str, version: int) -> float:
        """When the diagnostics of ``version`` arrived (waits for them)."""
        while version not in self.published.get(uri, {}):
            self.new_publication.clear()
            await asyncio.wait_for(self.new_publication.wait(), 120)
        return self.published[uri][version]


def resident_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: List[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(fraction * (len(ordered) - 1)))))
    return ordered[index]


class Edits:
    """Keystroke-sized edits of the model file, as someone makes a slip and corrects it: a
    layer's ``padding=1`` becomes ``padding=2`` (an error: a size no longer matches), then the
    next edit puts it back (clean again), then the same in another class."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self.sites = [(row, line.index("padding=1") + len("padding=")) for row, line in enumerate(self.lines)
                      if "padding=1" in line]
        self.count = 0

    @property
    def breaks(self) -> bool:
        """Whether the next edit makes the slip (else it corrects it)."""
        return self.count % 2 == 0

    def next(self) -> Dict[str, Any]:
        row, column = self.sites[((self.count // 2) * 7) % len(self.sites)]
        new = "2" if self.breaks else "1"
        self.lines[row] = self.lines[row][:column] + new + self.lines[row][column + 1:]
        self.count += 1
        return {"range": {"start": {"line": row, "character": column}, "end": {"line": row, "character": column + 1}},
                "text": new}


async def measure(edits_timed: int, memory_edits: int, warmup: int) -> Dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="shapelint-server-bench-"))
    model = work / "thousand_line_model.py"
    n_lines = write_thousand_line_model(model)
    (work / "pyproject.toml").write_text("[project]\nname = 'bench'\n")
    text = model.read_text()
    env = dict(os.environ, SHAPELINT_CACHE_DIR=str(work / "cache"))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "shapelint", "server", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, env=env, cwd=str(work), limit=2 ** 24)
    client = Client(process)
    uri = model.resolve().as_uri()
    await client.request("initialize", {"processId": os.getpid(), "rootUri": work.resolve().as_uri(),
                                        "capabilities": {"textDocument": {"inlayHint": {}, "hover": {}}}})
    await client.notify("initialized", {})
    started = time.perf_counter()
    await client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python",
                                                                  "version": 1, "text": text}})
    first = await client.diagnostics_of(uri, 1) - started
    edits = Edits(text)
    version = 1

    async def edit_and_wait() -> float:
        nonlocal version
        version += 1
        sent = time.perf_counter()
        await client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                       "contentChanges": [edits.next()]})
        return (await client.diagnostics_of(uri, version)) - sent

    for _ in range(warmup):
        await edit_and_wait()
    slips, corrections = [], []
    for _ in range(edits_timed):
        (slips if edits.breaks else corrections).append(await edit_and_wait())
    latencies = slips + corrections

    hover_times, hint_times = [], []
    for k in range(20):
        await edit_and_wait()
        row, column = edits.sites[k % len(edits.sites)]
        sent = time.perf_counter()
        await client.request("textDocument/hover", {"textDocument": {"uri": uri},
                                                    "position": {"line": row, "character": column}})
        hover_times.append(time.perf_counter() - sent)
        sent = time.perf_counter()
        await client.request("textDocument/inlayHint", {"textDocument": {"uri": uri}, "range": {
            "start": {"line": max(0, row - 40), "character": 0}, "end": {"line": row + 40, "character": 0}}})
        hint_times.append(time.perf_counter() - sent)

    memory = [(0, resident_mb(process.pid))]
    for k in range(1, memory_edits + 1):
        await edit_and_wait()
        if k % 100 == 0 or k == memory_edits:
            memory.append((k, resident_mb(process.pid)))

    await client.request("shutdown", None)
    await client.notify("exit", None)
    exit_code = await asyncio.wait_for(process.wait(), 30)
    client.reader.cancel()
    return {
        "lines": n_lines, "first_ms": first * 1000, "edits": edits_timed, "warmup": warmup,
        "median_ms": statistics.median(latencies) * 1000, "p95_ms": percentile(latencies, 0.95) * 1000,
        "max_ms": max(latencies) * 1000,
        "slip_median_ms": statistics.median(slips) * 1000, "slip_p95_ms": percentile(slips, 0.95) * 1000,
        "clean_median_ms": statistics.median(corrections) * 1000,
        "clean_p95_ms": percentile(corrections, 0.95) * 1000, "hover_median_ms": statistics.median(hover_times) * 1000,
        "hint_median_ms": statistics.median(hint_times) * 1000, "memory": memory, "exit": exit_code,
    }


def git_revision() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                              text=True, timeout=10).stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def report(figures: Dict[str, Any], command: str) -> str:
    memory = figures["memory"]
    verdict = "met" if figures["p95_ms"] < TARGET_P95_MS else "**NOT met**"
    growth = memory[-1][1] - memory[0][1]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines = [
        "",
        "## Language server: diagnostics after an edit (`benchmarks/server_latency.py`)",
        "",
        f"{_dt.datetime.now(_dt.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, shapelint at git {git_revision()},"
        f" Python {platform.python_version()}, {os.cpu_count()} cores, load {load:.1f}. Command: `{command}`.",
        f"The {figures['lines']:,}-line model file of `run.py`, opened in `shapelint server` over stdio; each edit"
        f" is one character, sent as an incremental `didChange` and timed to the `publishDiagnostics` of that"
        f" version (the 10 ms debounce included): a slip (`padding=1` -> `padding=2` in a layer, which makes a"
        f" shape error, found with its fix) then its correction (back to clean), each time in another class;"
        f" {figures['warmup']} warm-up edits first, then {figures['edits']} timed ones, each waited for.",
        "",
        "| measure | value | target | verdict |",
        "|---|---:|---|---|",
        f"| diagnostics after an edit, median (warm) | {figures['median_ms']:.0f} ms | | |",
        f"| diagnostics after an edit, p95 (warm) | {figures['p95_ms']:.0f} ms | < {TARGET_P95_MS:.0f} ms | {verdict} |",
        f"| diagnostics after an edit, slowest | {figures['max_ms']:.0f} ms | | |",
        f"| of which a slip (an error found, its fix checked): median, p95 | {figures['slip_median_ms']:.0f} ms,"
        f" {figures['slip_p95_ms']:.0f} ms | | |",
        f"| of which a correction (clean file): median, p95 | {figures['clean_median_ms']:.0f} ms,"
        f" {figures['clean_p95_ms']:.0f} ms | | |",
        f"| first diagnostics after opening it (cold engine) | {figures['first_ms']:.0f} ms | | |",
        f"| hover right after an edit, median | {figures['hover_median_ms']:.0f} ms | | |",
        f"| inlay hints right after an edit, median | {figures['hint_median_ms']:.0f} ms | | |",
        f"| resident memory over {memory[-1][0]:,} more edits | {memory[0][1]:.0f} -> {memory[-1][1]:.0f} MB"
        f" ({growth:+.0f} MB) | flat | {'met' if abs(growth) < 0.1 * memory[0][1] + 5 else '**NOT met**'} |",
        f"| exit status after shutdown, exit | {figures['exit']} | 0 | {'met' if figures['exit'] == 0 else '**NOT met**'} |",
        "",
        "Resident memory every 100 edits (MB): " + ", ".join(f"{k}: {mb:.0f}" for k, mb in memory) + ".",
        "",
    ]
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--edits", type=int, default=200, help="timed edits (default 200)")
    parser.add_argument("--memory-edits", type=int, default=1000, help="edits for the memory reading (default 1000)")
    parser.add_argument("--warmup", type=int, default=20, help="edits before timing (default 20)")
    parser.add_argument("--write-results", action="store_true", help="write the figures to benchmarks/server_results.md")
    args = parser.parse_args(argv)
    figures = asyncio.run(measure(args.edits, args.memory_edits, args.warmup))
    command = "python benchmarks/server_latency.py" + "".join(
        f" {flag} {value}" for flag, value, default in (("--edits", args.edits, 200),
                                                        ("--memory-edits", args.memory_edits, 1000),
                                                        ("--warmup", args.warmup, 20)) if value != default)
    text = report(figures, command)
    print(text)
    if args.write_results:
        with open(RESULTS_MD, "w", encoding="utf-8") as handle:
            handle.write(text)
    return 0 if figures["exit"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
