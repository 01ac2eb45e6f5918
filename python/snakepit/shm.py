"""Shared memory for large values (docs/protocol.md, section 3.5).

A bytes value, an array's data or an Arrow stream of at least ``SNAKEPIT_SHM_THRESHOLD`` bytes may
travel as a file in the pool's directory ``SNAKEPIT_SHM_DIR`` (on a memory file system such as
/dev/shm) instead of as an attachment: the frame then holds ``{"$shm": {"name": "w3-17", "size":
67108864}}`` where the bytes tag would stand.

- The sender creates the file (``O_EXCL``, mode 0600) and fills it with ``write()`` calls, never
  through a writable mapping: a full file system is then an error here (ENOSPC), never a SIGBUS
  later. A file that cannot be written in full is removed, and nothing is sent.
- The receiver opens the file by name, checks that its size is the tag's, unlinks it, and maps it
  read-only (an array, a table) or reads it (a plain bytes value); the mapping lives as long as the
  value over it.

The worker names its files ``<worker id>-<counter>`` and accepts only the JVM's, ``j-<counter>``. Its
keeper removes the worker's files when the worker ends, and the whole directory when the JVM is gone.
Without ``SNAKEPIT_SHM_DIR`` shared memory is off: everything travels through the socket, and a
``$shm`` tag is refused.
"""
import errno
import itertools
import mmap
import os
import re
import sys
from typing import Any, List, Optional

from .settings import SettingError, int_setting

TAG = "$shm"
# A file name on the wire: no slash, no dot, so it can name nothing outside the pool's directory.
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}").fullmatch
JVM = "j"
MIN_THRESHOLD = 64 * 1024
DEFAULT_THRESHOLD = 16 * 1024 * 1024
_FIELDS = frozenset(("name", "size"))
# Linux writes at most 0x7ffff000 bytes per write() call.
_MAX_WRITE = 1 << 30
# From Python 3.13 a mapping need not keep a duplicate of the descriptor open.
_NO_DUP = {"trackfd": False} if sys.version_info >= (3, 13) else {}

_directory: Optional[str] = None
_threshold = DEFAULT_THRESHOLD
_own: Optional[str] = None  # this side's name prefix, "w3-"
_peer = JVM + "-"  # the prefix of the names this side accepts
_counter = itertools.count(1)


class SharedMemoryError(Exception):
    """A value could not be written to the pool's directory (ENOSPC, or another I/O error); nothing of
    it is left there. Not an OSError: the serve loop takes those for a JVM that is gone."""

    def __init__(self, size: int, err: OSError) -> None:
        self.directory = _directory or ""
        self.size = size
        self.free = free_bytes(self.directory)
        super().__init__(
            "%d bytes cannot be written to the pool's shared memory %s: %s; %d bytes are free there. "
            "Raise the container's shared memory (docker run --shm-size=1g; Kubernetes: an emptyDir volume "
            "with medium: Memory and a sizeLimit, mounted at /dev/shm), or send such values through the "
            "socket: raise PoolConfig.sharedMemoryThreshold, or turn it off with PoolConfig.sharedMemory(false)"
            % (size, self.directory, os.strerror(err.errno) if err.errno else err, self.free))

    def details(self) -> dict:
        return {"directory": self.directory, "size": self.size, "free": self.free}


class SegmentError(ValueError):
    """A malformed ``$shm`` tag, or a file that is missing or does not match it; names the rule."""


def configure() -> None:
    """Reads SNAKEPIT_SHM_DIR, SNAKEPIT_SHM_THRESHOLD and SNAKEPIT_WORKER_ID; raises SettingError for a
    directory that is not one, or a threshold below the minimum."""
    directory = os.environ.get("SNAKEPIT_SHM_DIR") or None
    threshold = int_setting("SNAKEPIT_SHM_THRESHOLD", DEFAULT_THRESHOLD, MIN_THRESHOLD)
    if directory is not None and not os.path.isdir(directory):
        raise SettingError("SNAKEPIT_SHM_DIR=%r is not a directory" % directory)
    use(directory, threshold, os.environ.get("SNAKEPIT_WORKER_ID") or "w0")


def use(directory: Optional[str], threshold: int = DEFAULT_THRESHOLD, own: str = "w0", peer: str = JVM) -> None:
    """Sets the directory (None: off), the threshold, this side's name and the peer's; for tests too."""
    global _directory, _threshold, _own, _peer
    _directory = directory
    _threshold = threshold
    _own = own + "-"
    _peer = peer + "-"


def enabled() -> bool:
    return _directory is not None


def free_bytes(directory: str) -> int:
    """The bytes an unprivileged writer may still use in ``directory``'s file system; -1 if unknown."""
    try:
        stat = os.statvfs(directory)
    except OSError:
        return -1
    return stat.f_bavail * stat.f_frsize


# ---------------------------------------------------------------------------------------- sending

class Outgoing:
    """The files one frame is to carry: named while the value is encoded, written once its size is
    known to fit (``write``)."""

    __slots__ = ("pending", "size")

    def __init__(self) -> None:
        self.pending: List[Any] = []  # [name, buffer]
        self.size = 0

    def take(self, data: Any) -> Optional[dict]:
        """The ``$shm`` tag for ``data`` when it is large enough, else None (it goes as an attachment)."""
        size = data.nbytes if type(data) is memoryview else len(data)
        if size < _threshold:
            return None
        name = "%s%d" % (_own, next(_counter))
        self.pending.append((name, data))
        self.size += size
        return {TAG: {"name": name, "size": size}}

    def write(self) -> None:
        """Creates and fills every file; on any failure removes those made and raises SharedMemoryError
        (for an OSError; anything else, a cancel say, is raised as it is)."""
        made = []
        try:
            for name, data in self.pending:
                path = os.path.join(_directory, name)
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
                made.append(path)
                try:
                    _write_all(fd, data)
                finally:
                    os.close(fd)
        except BaseException as err:
            for path in made:
                _unlink(path)
            if isinstance(err, OSError):
                raise SharedMemoryError(self.size, err) from None
            raise

    def remove(self) -> None:
        """Removes the files written, for a frame that could not be sent after all."""
        for name, _ in self.pending:
            _unlink(os.path.join(_directory, name))


def _write_all(fd: int, data: Any) -> None:
    view = memoryview(data).cast("B")
    while view:
        written = os.write(fd, view[:_MAX_WRITE])
        view = view[written:]


# ---------------------------------------------------------------------------------------- receiving

class Segment:
    """A file a ``$shm`` tag named, open and already unlinked: ``view()`` maps it, ``read()`` copies it.
    Either closes the descriptor; so does ``close()``."""

    __slots__ = ("name", "size", "fd")

    def __init__(self, name: str, size: int, fd: int) -> None:
        self.name = name
        self.size = size
        self.fd = fd

    def view(self) -> memoryview:
        """A read-only view over a read-only mapping of the file, which lives as long as the view."""
        try:
            if self.size == 0:
                return memoryview(b"")
            return memoryview(mmap.mmap(self.fd, self.size, prot=mmap.PROT_READ, **_NO_DUP))
        except OSError as err:
            raise SegmentError("cannot map shared-memory file %s: %s" % (self.name, err)) from None
        finally:
            self.close()

    def read(self) -> bytes:
        """The file's bytes, copied."""
        try:
            parts = []
            got = 0
            while got < self.size:
                part = os.pread(self.fd, min(self.size - got, _MAX_WRITE), got)
                if not part:
                    raise SegmentError("shared-memory file %s shrank to %d bytes; its tag says %d"
                                       % (self.name, got, self.size))
                parts.append(part)
                got += len(part)
            return parts[0] if len(parts) == 1 else b"".join(parts)
        except OSError as err:
            raise SegmentError("cannot read shared-memory file %s: %s" % (self.name, err)) from None
        finally:
            self.close()

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


class Incoming:
    """The files of one frame being decoded. ``take`` claims each tag's file; ``close`` closes what
    decoding did not use."""

    __slots__ = ("segments",)

    def __init__(self) -> None:
        self.segments: List[Segment] = []

    def take(self, spec: Any) -> Segment:
        """The file a tag's value names, checked, open and unlinked; raises SegmentError."""
        if type(spec) is not dict or set(spec) != _FIELDS:
            found = sorted(spec) if type(spec) is dict else type(spec).__name__
            raise SegmentError("shared-memory tag must hold an object with exactly the members name and size; "
                               "found %s" % (found,))
        name, size = spec["name"], spec["size"]
        if type(name) is not str or not NAME(name):
            raise SegmentError("shared-memory tag has name %r; a name is 1 to 128 letters, digits, '_' or '-', "
                               "starting with a letter or digit" % (name,))
        if type(size) is not int or size < 0:
            raise SegmentError("shared-memory tag has size %r; a size is a non-negative integer" % (size,))
        if _directory is None:
            raise SegmentError("shared-memory tag names %s, but shared memory is off in this worker" % name)
        if not name.startswith(_peer):
            raise SegmentError("shared-memory tag names %s, which is not a file of the JVM (%s...)"
                               % (name, _peer))
        path = os.path.join(_directory, name)
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except OSError as err:
            raise SegmentError("shared-memory file %s cannot be opened: %s"
                               % (path, os.strerror(err.errno))) from None
        _unlink(path)
        segment = Segment(name, size, fd)
        self.segments.append(segment)
        actual = os.fstat(fd).st_size
        if actual != size:
            raise SegmentError("shared-memory file %s has %d bytes; its tag says %d" % (name, actual, size))
        return segment

    def close(self) -> None:
        for segment in self.segments:
            segment.close()


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError as err:
        if err.errno != errno.ENOENT:  # the other side removed it already
            raise


# ---------------------------------------------------------------------------------------- cleanup

def remove_files(directory: str, prefix: str) -> int:
    """Removes the files of ``directory`` whose names start with ``prefix``; returns how many."""
    removed = 0
    try:
        names = os.listdir(directory)
    except OSError:
        return 0
    for name in names:
        if name.startswith(prefix):
            try:
                os.unlink(os.path.join(directory, name))
                removed += 1
            except OSError:
                pass  # removed by someone else meanwhile
    return removed


def remove_directory(directory: str) -> None:
    """Removes the pool's directory and every file in it (it holds no subdirectory)."""
    remove_files(directory, "")
    try:
        os.rmdir(directory)
    except OSError:
        pass  # another keeper of the pool removed it first
