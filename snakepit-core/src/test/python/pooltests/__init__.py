"""Adapters for snakepit-core's integration tests; TestPools puts this folder on the workers' sys.path.

Each module covers what the demo adapter cannot: failing or slow start-ups, teardown, logging,
self-dispatch, tools that misbehave toward the protocol. Settings come from environment variables
named POOLTESTS_*, which the Java tests set per pool.
"""
import os


def record_spawn() -> None:
    """Appends this process's pid to $POOLTESTS_SPAWN_LOG, so a test can count the workers started."""
    path = os.environ.get("POOLTESTS_SPAWN_LOG")
    if path:
        # O_APPEND writes of one short line are atomic, so concurrent workers never interleave.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, ("%d\n" % os.getpid()).encode())
        finally:
            os.close(fd)
