"""Runs the Python test suite; Maven's python module calls this from python/.

Extra arguments go to pytest, e.g. ``python3 tests/run_pytest.py -k lifeline``.
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
    tests = os.path.dirname(os.path.abspath(__file__))
    # The plugins blocked here would write caches into the source tree when Maven runs the suite.
    return pytest.main(["-q", "-p", "no:cacheprovider", "-p", "no:benchmark", tests] + sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
