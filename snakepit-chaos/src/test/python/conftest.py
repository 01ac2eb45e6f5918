"""Fixtures of the chaos adapter's tests: real worker processes behind the runtime suite's fake JVM.

The runtime's own conftest (python/tests/conftest.py) is loaded under another module name, so that
these tests share its leftover-process check (autouse) and its worker factory instead of copies.
"""
import importlib.util
import os
import sys

import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPOSITORY = os.path.normpath(os.path.join(_HERE, "..", "..", "..", ".."))
RUNTIME_DIR = os.path.join(_REPOSITORY, "python")  # the snakepit package
RUNTIME_TESTS_DIR = os.path.join(RUNTIME_DIR, "tests")  # harness.py
CHAOS_DIR = os.path.normpath(os.path.join(_HERE, "..", "..", "main", "python"))  # snakepit_chaos

for _path in (RUNTIME_DIR, RUNTIME_TESTS_DIR, CHAOS_DIR):
    if _path not in sys.path:
        sys.path.insert(0, _path)


def _load_runtime_conftest():
    # Not "import conftest": that name is this module's, as pytest imports it.
    spec = importlib.util.spec_from_file_location("snakepit_runtime_conftest",
                                                  os.path.join(RUNTIME_TESTS_DIR, "conftest.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_runtime = _load_runtime_conftest()

from snakepit_chaos import settings  # noqa: E402  (found through the path set above)

# Re-exported: pytest registers fixtures found among a conftest's names.
no_process_left_behind = _runtime.no_process_left_behind
jvm_factory = _runtime.jvm_factory

ADAPTER = "snakepit_chaos.adapter:ChaosAdapter"


@pytest.fixture
def chaos(jvm_factory):
    """Starts chaos workers, ended after the test with everything they started.

    ``chaos(env={...})`` returns a FakeJvm past the handshake; ``started=False`` leaves the handshake
    to the test (a worker that must fail to start never makes one). Other keywords go to FakeJvm.
    """
    def start(env=None, started=True, **kwargs):
        # FakeJvm passes on this process's environment but SNAKEPIT_*; a CHAOS_* variable set in
        # the shell running the suite must not choose a mode for every test (None removes it).
        full_env = {key: None for key in os.environ if key.startswith(settings.PREFIX)}
        full_env["PYTHONPATH"] = os.pathsep.join([RUNTIME_DIR, CHAOS_DIR])
        full_env.update(env or {})
        jvm = jvm_factory(ADAPTER, env=full_env, **kwargs)
        if started:
            jvm.start()
        return jvm
    return start
