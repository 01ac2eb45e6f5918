"""How a worker ends: every exit status of docs/protocol.md, section 4.8, its last words on stderr, and
the flush of what Python still buffers for stdout and stderr.

The keeper exits with the worker's status (keeper.py), so the JVM reads these values whichever of the
two it started. The runtime never exits with a status between 6 and 69 or above 70.
"""
import os
import sys

EXIT_OK = 0  # after SHUTDOWN, or because the JVM went away
EXIT_USAGE = 2  # a bad command line, as argparse would exit
EXIT_START_FAILED = 3  # could not start; a FATAL frame said why
EXIT_VIOLATION = 4  # protocol violation on either plane; stderr says which
EXIT_HEARTBEAT = 5  # the JVM stopped acknowledging heartbeats
EXIT_KEEPER_FAILED = 70  # the keeper itself failed (a bug); it killed the worker's tree first


def write_stderr(text: str) -> None:
    """Writes straight to fd 2, never raising: for messages on the way out."""
    try:
        os.write(2, text.encode("utf-8", "replace"))
    except OSError:
        pass


def flush_std_streams() -> None:
    """Flushes sys.stdout and sys.stderr, never raising: before the process exits."""
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
