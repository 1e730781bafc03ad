"""A CPU-time limit for code under test (CPU, not wall: a busy machine is no failure)."""

from __future__ import annotations

import contextlib
import signal
import sys


class CpuBudgetExceeded(BaseException):
    """BaseException, so the engine's own ``except Exception`` cannot swallow it."""


@contextlib.contextmanager
def cpu_budget(seconds: float):
    """Raise :class:`CpuBudgetExceeded` in the code inside after ``seconds`` of CPU."""
    if not hasattr(signal, "setitimer") or sys.platform == "win32":
        yield
        return

    def expire(signum, frame):
        raise CpuBudgetExceeded(f"more than {seconds} s of CPU")

    previous = signal.signal(signal.SIGPROF, expire)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)
