"""Runs the Python test suite; Maven's python module calls this from python/.

Extra arguments go to pytest, e.g. ``python3 tests/run_pytest.py -k lifeline``. A first argument that
is a directory runs the suite there instead (snakepit-chaos runs its adapter's tests so).
"""
import os
import sys


def main() -> int:
    try:
        import pytest
    except ImportError:
        sys.stderr.write("pytest is not installed for %s; run ./snakepit test, or "
                         "pip install -r python/requirements-test.txt\n" % sys.executable)
        return 2
    args = sys.argv[1:]
    tests = args.pop(0) if args and os.path.isdir(args[0]) else os.path.dirname(os.path.abspath(__file__))
    # The plugins blocked here would write caches into the source tree when Maven runs the suite.
    return pytest.main(["-q", "-p", "no:cacheprovider", "-p", "no:benchmark", tests] + args)


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # A thread a test left behind must fail the run (conftest.py reports it), not hang it.
    os._exit(status)
