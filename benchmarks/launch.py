"""Run one command and write its wall time and resource usage, as JSON, to a file.

Why a separate, small process: Linux keeps a process's peak RSS across ``exec``, so a command
forked straight from ``run.py`` (which holds every tool's output and grows past 100 MB) would
report ``run.py``'s size as its own peak. Started from this launcher (a bare ``python -S -I``
of a few MB), the command's peak RSS is its own. Standard library only; no output of its own.

Usage: python -S -I launch.py RESULT.json COMMAND [ARG...]
"""

import json
import os
import sys
import time


def main() -> int:
    result_path, command = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    pid = os.posix_spawnp(command[0], command, os.environ)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    with open(result_path, "w") as f:
        json.dump({"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                   "max_rss_kb": usage.ru_maxrss, "returncode": code}, f)
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
