"""The open buffers and their analyses, kept up to date as the user types.

Each buffer is analysed on a worker thread (one for the server: the analyses share the project
files they read, and the event loop stays free to answer requests and read edits meanwhile).
Edits are coalesced: after an edit the buffer waits ``debounce_ms``, then its latest text is
analysed; edits that arrive while it runs make one more analysis of the latest text when it
ends, and the result of a text that changed meanwhile is never published. A buffer whose import
(another open buffer, or a saved file) changed is analysed again too.

Requests (hover, inlay hints, code actions) wait for the analysis of the current text, for at
most ``WAIT_S``; an older analysis, mapped line by line onto the current text, answers
meanwhile (half-typed code still shows the shapes of the lines it did not touch). A request the
client cancels stops waiting at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import queue
import threading
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

from .analysis import Analysis, analyse
from .settings import WorkspaceSettings

#: How long a request waits for the analysis of the current text.
WAIT_S = 2.0


class Worker:
    """One daemon thread running jobs in order: an analysis that is slow (a huge file) never
    keeps the process from exiting, as a thread pool's thread would at interpreter exit."""

    def __init__(self) -> None:
        self.jobs: "queue.SimpleQueue" = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="shapelint-analysis", daemon=True)
        self.thread.start()

    def submit(self, job: Callable[[], object]) -> "concurrent.futures.Future":
        future: concurrent.futures.Future = concurrent.futures.Future()
        self.jobs.put((job, future))
        return future

    def _run(self) -> None:
        while True:
            job, future = self.jobs.get()
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(job())
            except BaseException as error:  # noqa: B902 (handed to the waiting coroutine)
                future.set_exception(error)


@dataclass(eq=False)
class Buffer:
    uri: str
    #: The file's path (its project, its configuration); absolute.
    path: str
    text: str
    version: int
    #: The latest analysis, and the latest one whose text parsed (for shapes while typing).
    latest: Optional[Analysis] = None
    parsed: Optional[Analysis] = None
    #: Set when the latest analysis is of the current text.
    current: asyncio.Event = field(default_factory=asyncio.Event)
    #: The text changed since its analysis began.
    dirty: bool = True
    task: Optional[asyncio.Task] = None
    closed: bool = False
    #: The results of its earlier analyses (``analysis.incremental.Reuse``), touched only on the
    #: worker thread: an edit runs again only the models it reaches.
    reuse: Optional[object] = None


class Buffers:
    """The open buffers of one session. ``publish(buffer, analysis)`` is called on the event
    loop with each analysis of a buffer's current text; ``log(message)`` with internal errors."""

    def __init__(self, publish: Callable[[Buffer, Analysis], None], log: Callable[[str], None]) -> None:
        from ...analysis.project import ProjectFiles

        self.publish = publish
        self.log = log
        self.settings = WorkspaceSettings()
        self.buffers: Dict[str, Buffer] = {}
        self.worker = Worker()
        #: The project files read, kept across analyses (touched only on the worker thread).
        self.files = ProjectFiles()

    # ----------------------------------------------------------------- buffers

    def open(self, uri: str, path: str, text: str, version: int) -> Buffer:
        buffer = Buffer(uri, os.path.abspath(path), text, version)
        self.buffers[uri] = buffer
        self._schedule(buffer, debounce=False)
        self.dependents_changed(buffer.path)
        return buffer

    def change(self, uri: str, text: str, version: int) -> None:
        buffer = self.buffers.get(uri)
        if buffer is None:
            return
        buffer.text, buffer.version = text, version
        buffer.current.clear()
        self._schedule(buffer)
        self.dependents_changed(buffer.path)

    def saved(self, uri: str) -> None:
        """A save may create a file an import looks for: the files found are looked up anew."""
        buffer = self.buffers.get(uri)
        self.files_changed()
        if buffer is not None:
            self.dependents_changed(buffer.path)

    def close(self, uri: str) -> Optional[Buffer]:
        buffer = self.buffers.pop(uri, None)
        if buffer is not None:
            buffer.closed = True
            if buffer.task is not None:
                buffer.task.cancel()
            self.dependents_changed(buffer.path)  # they read the disk again
        return buffer

    def files_changed(self) -> None:
        """Files were created, deleted or written outside the editor: forget what was found."""
        self.worker.submit(self._fresh_files)

    def _fresh_files(self) -> None:
        from ...analysis.project import ProjectFiles

        self.files = ProjectFiles()

    def set_settings(self, settings: WorkspaceSettings) -> None:
        if settings != self.settings:
            self.settings = settings
            self.reanalyse_all()

    def reanalyse_all(self) -> None:
        """Every open buffer again (the settings, or a project's configuration, changed)."""
        for buffer in self.buffers.values():
            buffer.current.clear()
            self._schedule(buffer, debounce=False)

    def dependents_changed(self, path: str) -> None:
        key = os.path.normcase(path)
        for other in self.buffers.values():
            if other.path != path and other.latest is not None and key in other.latest.dependencies:
                other.current.clear()
                self._schedule(other)

    # ----------------------------------------------------------------- analysing

    def _schedule(self, buffer: Buffer, debounce: bool = True) -> None:
        buffer.dirty = True
        if buffer.task is None or buffer.task.done():
            buffer.task = asyncio.get_running_loop().create_task(self._refresh(buffer, debounce))

    async def _refresh(self, buffer: Buffer, debounce: bool) -> None:
        if debounce and self.settings.debounce_ms:
            await asyncio.sleep(self.settings.debounce_ms / 1000)
        while buffer.dirty and not buffer.closed:
            buffer.dirty = False
            text, version = buffer.text, buffer.version
            overlay = self._overlay()
            settings = self.settings
            future = self.worker.submit(lambda: self._analyse(buffer, text, version, settings, overlay))
            try:
                analysis = await asyncio.wrap_future(future)
            except Exception as error:  # the worker's own failure: never the session's end
                self.log(f"shapelint: internal error in {buffer.path}: {error}")
                continue
            if buffer.closed:
                return
            if analysis.error is not None:
                self.log(f"shapelint: internal error in {buffer.path}: {analysis.error}")
            if buffer.dirty:
                continue  # the text changed meanwhile: analyse the latest one instead
            buffer.latest = analysis
            if analysis.view is not None:
                buffer.parsed = analysis
            buffer.current.set()
            self.publish(buffer, analysis)

    def _overlay(self) -> Callable[[str], Optional[str]]:
        """The open buffers' texts by path, as they are now (read by the worker thread)."""
        texts = {os.path.normcase(b.path): b.text for b in self.buffers.values()}
        return lambda path: texts.get(os.path.normcase(os.path.abspath(path)))

    def _analyse(self, buffer: Buffer, text: str, version: int, settings: WorkspaceSettings, overlay) -> Analysis:
        from ...analysis.incremental import Reuse

        files = self.files
        files.overlay = overlay
        if buffer.reuse is None:
            buffer.reuse = Reuse()
        return analyse(text, version, buffer.path, settings, files, buffer.reuse)

    # ----------------------------------------------------------------- requests

    async def settled(self, uri: str) -> Optional[Buffer]:
        """The buffer once the analysis of its current text is in (or ``WAIT_S`` passed)."""
        buffer = self.buffers.get(uri)
        if buffer is None:
            return None
        try:
            await asyncio.wait_for(buffer.current.wait(), WAIT_S)
        except asyncio.TimeoutError:
            pass
        return buffer if not buffer.closed else None
