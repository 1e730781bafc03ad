"""Replace a file's bytes so that it is, at every moment and after any crash, either the old file
or the new one, and only while it still holds the bytes the new ones were computed from.

``--fix`` computes a file's new text from the bytes it analysed; by the time it writes, an editor,
a formatter or a second ``shapelint --fix`` may have changed them. :func:`replace_if_unchanged`

1. takes an advisory lock (``flock``) on the file, so that two shapelint processes never compare
   and replace one file at the same time. The lock belongs to the inode, and a replaced file is a
   new inode: once locked, the path must still name the locked inode, else the lock is taken again
   on the file now there;
2. compares the file's bytes with those the new ones were computed from (:class:`FileChanged` if
   they differ);
3. writes the new bytes to a temporary file in the same directory, with the original's mode and,
   where the system permits, its owner and group; flushes it to disk (fsync); and renames it over
   the original.

Interruptions: the new file is renamed over the original only once it is complete and on disk, so
a kill (or a power cut) at any point leaves the file old or new. (Ctrl-C does not stop a write at
all: ``--fix`` writes on worker threads, and Python raises KeyboardInterrupt only in the main
thread, which waits for the writes under way.) On Linux the temporary file starts unnamed
(``O_TMPFILE``) and is named only just before the rename, so a kill while it is written leaves
nothing behind. Elsewhere (or on a file system without ``O_TMPFILE``), and in the two system calls
between naming and renaming, a kill leaves a file ``.NAME.shapelint-PID.tmp`` next to NAME;
:func:`remove_stale_temps`, which every ``--fix`` runs, deletes those whose process is gone. The
directory is not fsynced: after a power cut the file may be the old one, never a mix.

Symbolic links are written through: the target is replaced and the link stays a link. Hard links:
the rename gives the path a new inode, so a file with other hard links is separated from them (they
keep the old text), as ``sed -i``, git and most editors' safe save do; the caller says so. (ruff and
black write in place, which keeps hard links but can leave a half-written file.) Not carried over:
extended attributes and ACLs. A file that is not writable (its mode, for the user running) is not
replaced, although its directory would allow it.

A failure (full disk, read-only directory, permission) raises OSError with the original untouched
and no temporary file left.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from contextlib import contextmanager
from typing import Iterator

#: ``.NAME.shapelint-PID.tmp``: recognisable, hidden, not ``*.py`` (so never checked itself).
_TEMP_NAME = re.compile(r"\A\..*\.shapelint-(\d+)\.tmp\Z", re.DOTALL)

#: Room left in NAME_MAX (255 bytes) for the temporary name's dot, hash, suffix and pid.
_MAX_NAME_BYTES = 200

#: How often the lock is taken again when the file keeps being replaced while waiting for it.
_MAX_LOCK_ATTEMPTS = 20

_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class FileChanged(Exception):
    """The file no longer holds the bytes the new ones were computed from (or is gone)."""


def replace_if_unchanged(path: str, expected: bytes, data: bytes) -> int:
    """Replace the file at ``path`` (through symbolic links) by ``data``, atomically, if it still
    holds exactly ``expected``. Returns how many hard links the file had (above 1, the other
    names keep the old text). Raises :class:`FileChanged`, or OSError with the file untouched."""
    target = os.path.realpath(path)
    with _locked(target) as fd:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if not os.access(target, os.W_OK):
            code = errno.EROFS if _on_read_only_file_system(target) else errno.EACCES
            raise OSError(code, os.strerror(code))
        if info.st_size != len(expected) or _read_all(fd) != expected:
            raise FileChanged(path)
        temp = _write_temp(os.path.dirname(target), os.path.basename(target), data, info)
        try:
            os.replace(temp, target)
        except BaseException:
            _unlink_quietly(temp)
            raise
        return info.st_nlink


def temp_name(name: str, pid: int) -> str:
    """The temporary file's name while NAME is replaced by process ``pid``. A long NAME is cut,
    and a hash of it added so that two long names with one beginning never share a temporary
    file (this process writes several files at once)."""
    raw = os.fsencode(name)
    if len(raw) > _MAX_NAME_BYTES:
        import hashlib

        digest = hashlib.sha256(raw).hexdigest()[:16]
        name = os.fsdecode(raw[:_MAX_NAME_BYTES]) + "~" + digest
    return f".{name}.shapelint-{pid}.tmp"


def remove_stale_temps(directory: str) -> int:
    """Delete the temporary files that a killed ``--fix`` left in ``directory``: those whose
    process no longer runs, and this process's own (call it before writing any). Returns how
    many were deleted; never raises."""
    if os.name != "posix":  # no cheap, harmless way to ask whether a pid lives
        return 0
    removed = 0
    try:
        with os.scandir(directory or os.curdir) as entries:
            for entry in entries:
                match = _TEMP_NAME.match(entry.name)
                if match is None or _process_alive(int(match.group(1))):
                    continue
                try:
                    os.unlink(entry.path)
                    removed += 1
                except OSError:  # gone already (another run cleaning up), or not ours to delete
                    pass
    except OSError:
        pass
    return removed


def _on_read_only_file_system(path: str) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & getattr(os, "ST_RDONLY", 0))
    except (OSError, AttributeError):
        return False


def _process_alive(pid: int) -> bool:
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # EPERM: it runs, as another user; or no pid at all
        return True
    return True


@contextmanager
def _locked(target: str) -> Iterator[int]:
    """A read-only descriptor of the file now at ``target``, holding its exclusive lock."""
    for _ in range(_MAX_LOCK_ATTEMPTS):
        try:
            # O_NONBLOCK: a FIFO given as a file must not hang the run (it is then refused).
            fd = os.open(target, os.O_RDONLY | _O_CLOEXEC | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            raise FileChanged(target) from None
        try:
            _lock(fd)
            try:
                current = os.stat(target)
            except FileNotFoundError:
                raise FileChanged(target) from None
            locked = os.fstat(fd)
            if (current.st_dev, current.st_ino) == (locked.st_dev, locked.st_ino):
                break
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # replaced while we waited for the lock: lock the file there now
    else:
        raise FileChanged(target)
    try:
        yield fd
    finally:
        os.close(fd)  # releases the lock


def _lock(fd: int) -> None:
    try:
        import fcntl
    except ImportError:  # not POSIX: no advisory locks; the comparison still guards
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError as error:
        # A file system without locks (some network and FUSE ones): go on without.
        if error.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL, errno.ENOSYS):
            raise


def _read_all(fd: int) -> bytes:
    chunks = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _write_temp(directory: str, name: str, data: bytes, like: os.stat_result) -> str:
    """The path of a new file in ``directory`` holding ``data``, with ``like``'s mode and owner,
    flushed to disk."""
    temp = os.path.join(directory, temp_name(name, os.getpid()))
    fd = _open_unnamed(directory)
    if fd is not None:
        try:
            _fill(fd, data, like)
            if _give_name(fd, temp):
                return temp
        finally:
            os.close(fd)
    return _write_named(temp, data, like)


def _open_unnamed(directory: str):
    """A descriptor of a new unnamed file in ``directory`` (Linux's O_TMPFILE), or None when the
    system or the file system has none."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag:
        return None
    try:
        return os.open(directory or os.curdir, flag | os.O_WRONLY | _O_CLOEXEC, 0o600)
    except OSError as error:
        if error.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return None
        raise


def _give_name(fd: int, temp: str) -> bool:
    """Link the unnamed file to ``temp``; False when that cannot be done here (no /proc)."""
    source = f"/proc/self/fd/{fd}"
    for _ in range(2):
        try:
            directory = os.open(os.path.dirname(temp) or os.curdir, os.O_RDONLY | _O_CLOEXEC)
        except OSError:
            return False
        try:
            # linkat(..., AT_SYMLINK_FOLLOW): a plain link() would link the /proc symlink itself.
            os.link(source, os.path.basename(temp), dst_dir_fd=directory, follow_symlinks=True)
            return True
        except FileExistsError:
            _unlink_quietly(temp)  # this pid's: left by a dead process that had the same pid
        except OSError:
            return False
        finally:
            os.close(directory)
    return False


def _write_named(temp: str, data: bytes, like: os.stat_result) -> str:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_CLOEXEC
    try:
        fd = os.open(temp, flags, 0o600)
    except FileExistsError:
        _unlink_quietly(temp)  # this pid's: left by a dead process that had the same pid
        fd = os.open(temp, flags, 0o600)
    try:
        _fill(fd, data, like)
    except BaseException:
        os.close(fd)
        _unlink_quietly(temp)
        raise
    os.close(fd)
    return temp


def _fill(fd: int, data: bytes, like: os.stat_result) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    _copy_owner_and_mode(fd, like)
    os.fsync(fd)


def _copy_owner_and_mode(fd: int, like: os.stat_result) -> None:
    if hasattr(os, "fchown"):
        mine = os.fstat(fd)
        if (mine.st_uid, mine.st_gid) != (like.st_uid, like.st_gid):
            try:
                os.fchown(fd, like.st_uid, like.st_gid)
            except PermissionError:  # not root: keep at least the group, if a member of it
                try:
                    os.fchown(fd, -1, like.st_gid)
                except PermissionError:
                    pass
    # After chown, which clears set-user-ID and set-group-ID bits.
    if hasattr(os, "fchmod"):
        os.fchmod(fd, stat.S_IMODE(like.st_mode))


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
