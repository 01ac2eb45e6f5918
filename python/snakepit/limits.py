"""The resource limits the JVM asked for: joins the worker's cgroups or caps its address space.

They are applied while the process has one thread, before the keeper forks (keeper.py), so that the
keeper, the worker and everything the worker starts share them.
"""
import os


def apply_limits() -> None:
    """Joins the cgroups the JVM made for this worker (SNAKEPIT_CGROUP_PROCS, paths of cgroup.procs
    files joined by ':') or caps its own address space (SNAKEPIT_RLIMIT_AS, bytes). Runs before the
    worker starts anything, so every process it starts is capped with it. Raises OSError when a limit
    cannot be applied: a worker must not run without the caps it was started with."""
    procs = os.environ.pop("SNAKEPIT_CGROUP_PROCS", "")
    for path in filter(None, procs.split(":")):
        with open(path, "w") as f:
            f.write(str(os.getpid()))
    limit = os.environ.pop("SNAKEPIT_RLIMIT_AS", "")
    if limit:
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))
