"""Shared memory for large values (docs/protocol.md, section 3.5): the $shm tag both ways, the checks a
receiver makes, the escapes, a full file system, and what the keeper removes."""
import json
import mmap
import os
import stat
import subprocess
import time

import pytest

import harness
from snakepit import protocol, shm, values
from snakepit.values import SerializationError

THRESHOLD = shm.MIN_THRESHOLD
LIMIT = 1 << 30


@pytest.fixture
def directory(tmp_path):
    """A pool's directory in which this process plays the worker w1, receiving the JVM's files."""
    path = tmp_path / "pool"
    path.mkdir(mode=0o700)
    shm.use(str(path), THRESHOLD, own="w1", peer="j")
    yield str(path)
    shm.use(None)


@pytest.fixture
def small_tmpfs(tmp_path):
    """A tmpfs of 1 MiB mounted for the test (root only), unmounted after it."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here: %s" % done.stderr.decode(errors="replace").strip())
    try:
        yield str(mount)
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def body(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def jvm_file(directory, name, data):
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def decode(value):
    return values.decode(body(value), [], protocol.TAGGED)


def shm_tag(name, size):
    return {"$shm": {"name": name, "size": size}}


# ---------------------------------------------------------------------------------------- sending

def test_a_result_above_the_threshold_becomes_a_file_of_the_worker_named_in_a_tag(directory):
    data = os.urandom(THRESHOLD)

    encoded, attachments, flags = values.encode_result(data, LIMIT)

    tag = json.loads(encoded)["value"]["$shm"]
    assert attachments == [] and flags == protocol.TAGGED
    assert tag["name"].startswith("w1-") and tag["size"] == THRESHOLD
    path = os.path.join(directory, tag["name"])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, "rb") as f:
        assert f.read() == data


def test_a_value_below_the_threshold_stays_an_attachment(directory):
    encoded, attachments, _ = values.encode_result(b"x" * (THRESHOLD - 1), LIMIT)

    assert json.loads(encoded) == {"value": {"$b": 0}}
    assert len(attachments) == 1
    assert os.listdir(directory) == []


def test_a_body_encoded_without_a_frame_limit_never_uses_shared_memory(directory):
    # HELLO, ERROR and the fake JVM's frames: no limit given, so no file either.
    _, attachments, _ = values.encode({"default": b"x" * THRESHOLD})

    assert len(attachments) == 1
    assert os.listdir(directory) == []


def test_an_arrays_elements_go_to_a_file_and_its_tag_keeps_dtype_and_shape(directory):
    np = pytest.importorskip("numpy")
    matrix = np.arange(THRESHOLD // 8, dtype=np.float64).reshape(2, -1)

    encoded, attachments, _ = values.encode_result(matrix, LIMIT)

    tag = json.loads(encoded)["value"]["$nd"]
    assert attachments == []
    assert tag["dtype"] == "float64" and tag["shape"] == [2, THRESHOLD // 16]
    with open(os.path.join(directory, tag["data"]["$shm"]["name"]), "rb") as f:
        assert f.read() == matrix.tobytes()


def test_the_frame_limit_counts_the_values_in_files_and_none_is_written_above_it(directory):
    with pytest.raises(protocol.FrameTooLarge) as raised:
        values.encode_result(b"x" * THRESHOLD, THRESHOLD)

    assert raised.value.size > THRESHOLD
    assert os.listdir(directory) == []


def test_a_full_file_system_is_a_shared_memory_error_naming_the_fix_and_leaves_no_file(small_tmpfs):
    shm.use(small_tmpfs, THRESHOLD, own="w1")
    try:
        with pytest.raises(shm.SharedMemoryError) as raised:
            values.encode_result([b"x" * THRESHOLD, b"y" * (2 << 20)], LIMIT)
    finally:
        shm.use(None)

    message = str(raised.value)
    assert not isinstance(raised.value, OSError)  # the serve loop takes an OSError for a JVM that is gone
    for text in (small_tmpfs, "%d bytes" % (THRESHOLD + (2 << 20)), "No space left on device", "bytes are free",
                 "--shm-size", "emptyDir", "sizeLimit", "sharedMemoryThreshold", "sharedMemory(false)"):
        assert text in message
    assert raised.value.details()["free"] >= 0
    assert os.listdir(small_tmpfs) == []


# ---------------------------------------------------------------------------------------- receiving

def test_a_file_of_the_jvm_arrives_as_bytes_and_is_unlinked(directory):
    data = os.urandom(THRESHOLD)
    jvm_file(directory, "j-1", data)

    value = decode({"tool": "echo", "args": [shm_tag("j-1", len(data))]})

    assert type(value["args"][0]) is bytes and value["args"][0] == data
    assert os.listdir(directory) == []


def test_an_array_over_a_file_of_the_jvm_is_a_read_only_view_of_its_mapping(directory, backend):
    np = pytest.importorskip("numpy")
    elements = np.arange(THRESHOLD // 8, dtype="<f8")
    jvm_file(directory, "j-2", elements.tobytes())

    array = decode({"$nd": {"dtype": "float64", "shape": [THRESHOLD // 8], "byteorder": "little",
                            "data": shm_tag("j-2", THRESHOLD)}})

    assert os.listdir(directory) == []
    if backend == "numpy":
        assert not array.flags.writeable
        assert np.array_equal(array, elements)
        base = array.base
        while not isinstance(base, memoryview):
            base = base.base
    else:
        assert array.readonly and array.format == "d"
        assert array.tolist() == elements.tolist()
        base = array
    assert isinstance(base.obj, mmap.mmap)


def test_an_arrow_table_over_a_file_of_the_jvm_is_read_from_its_mapping(directory):
    pa = pytest.importorskip("pyarrow")
    import pyarrow.ipc  # noqa: F401
    table = pa.table({"x": list(range(THRESHOLD // 8))})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write(table)
    stream = sink.getvalue().to_pybytes()
    jvm_file(directory, "j-3", stream)

    value = decode({"rows": {"$arrow": shm_tag("j-3", len(stream))}})

    assert value["rows"].equals(table)
    assert os.listdir(directory) == []


def test_a_size_that_is_not_the_files_is_refused_naming_both_and_the_file_is_unlinked(directory):
    jvm_file(directory, "j-4", b"x" * 1000)

    with pytest.raises(SerializationError) as raised:
        decode({"args": [shm_tag("j-4", 2000)]})

    assert raised.value.reason == "bad_tag"
    assert "1000" in str(raised.value) and "2000" in str(raised.value)
    assert os.listdir(directory) == []


def test_a_missing_file_is_refused(directory):
    with pytest.raises(SerializationError) as raised:
        decode({"args": [shm_tag("j-5", 10)]})

    assert raised.value.reason == "bad_tag"
    assert "j-5" in str(raised.value) and "No such file" in str(raised.value)


@pytest.mark.parametrize("spec, rule", [
    ({"name": "j-6"}, "exactly the members name and size"),
    ({"name": "j-6", "size": -1}, "non-negative integer"),
    ({"name": "j-6", "size": 1.5}, "non-negative integer"),
    ({"name": "../j-6", "size": 1}, "1 to 128 letters"),
    ({"name": "a/b", "size": 1}, "1 to 128 letters"),
    ({"name": 6, "size": 1}, "1 to 128 letters"),
    ({"name": "j-6", "size": 1, "extra": 0}, "exactly the members name and size"),
    ({"name": "w1-6", "size": 1}, "not a file of the JVM"),
    ("j-6", "exactly the members name and size"),
])
def test_a_malformed_tag_is_refused_naming_the_rule(directory, spec, rule):
    jvm_file(directory, "w1-6", b"x")

    with pytest.raises(SerializationError) as raised:
        decode({"args": [{"$shm": spec}]})

    assert raised.value.reason == "bad_tag"
    assert rule in str(raised.value)
    assert os.listdir(directory) == ["w1-6"]  # nothing was opened, nor unlinked


def test_a_tag_is_refused_when_shared_memory_is_off():
    shm.use(None)

    with pytest.raises(SerializationError) as raised:
        decode({"args": [shm_tag("j-7", 1)]})

    assert raised.value.reason == "bad_tag" and "off" in str(raised.value)


def test_maps_that_look_like_the_tag_are_escaped_both_ways(directory):
    user = {"$shm": {"name": "j-8", "size": 1}}
    deeper = {"$$shm": 2}

    encoded, attachments, flags = values.encode([user, deeper], max_frame_bytes=LIMIT)

    assert encoded == b'[{"$$shm":{"name":"j-8","size":1}},{"$$$shm":2}]'
    assert flags == protocol.TAGGED and attachments == []
    assert values.decode(encoded, [], flags) == [user, deeper]
    assert values.decode(encoded, [], 0) == [{"$$shm": {"name": "j-8", "size": 1}}, {"$$$shm": 2}]


# ---------------------------------------------------------------------------------------- a worker

def worker_env(directory):
    return {"SNAKEPIT_SHM_DIR": directory, "SNAKEPIT_SHM_THRESHOLD": str(THRESHOLD)}


def send_raw(jvm, kind, value):
    request_id = jvm._next_id
    jvm._next_id += 1
    jvm._writer.write(kind, request_id, body(value), [], protocol.TAGGED)
    return request_id


def test_a_worker_receives_a_file_and_answers_with_one_of_its_own(jvm_factory, tmp_path):
    directory = str(tmp_path)
    jvm = jvm_factory(env=worker_env(directory))
    jvm.start()
    data = os.urandom(2 * THRESHOLD)
    jvm_file(directory, "j-1", data)

    request_id = send_raw(jvm, protocol.CALL, {"tool": "echo", "args": [shm_tag("j-1", len(data))], "kwargs": {}})
    frame = jvm.read_frame()

    assert frame.request_id == request_id and frame.kind == protocol.RESULT, jvm.stderr_text()
    name = json.loads(frame.body)["value"]["$shm"]["name"]
    assert name.startswith("w1-") and os.listdir(directory) == [name]
    shm.use(directory, THRESHOLD, own="j", peer="w1")  # this process plays the JVM now
    try:
        assert values.decode(frame.body, frame.attachments, frame.flags) == {"value": data}
    finally:
        shm.use(None)
    assert os.listdir(directory) == []


def test_a_result_too_large_for_the_directory_is_resource_exhausted_and_the_worker_serves_on(jvm_factory,
                                                                                              small_tmpfs):
    jvm = jvm_factory(env=worker_env(small_tmpfs), max_frame_bytes=8 << 20)
    jvm.start()

    error = jvm.call("make_bytes", 2 << 20).error

    assert error["kind"] == "RESOURCE_EXHAUSTED"
    assert "result of 'make_bytes'" in error["message"] and "No space left on device" in error["message"]
    assert "--shm-size" in error["message"] and "sharedMemory(false)" in error["message"]
    assert error["details"]["directory"] == small_tmpfs
    assert os.listdir(small_tmpfs) == []
    assert jvm.call("pid").value == jvm.worker_pid
    assert jvm.call("add", 1, 2).value == 3


def test_the_keeper_removes_its_workers_files_when_the_worker_ends(jvm_factory, tmp_path):
    directory = str(tmp_path)
    jvm = jvm_factory(env=worker_env(directory))
    jvm.start()
    jvm_file(directory, "w1-77", b"left by a result on its way")
    jvm_file(directory, "w10-1", b"another worker's")
    jvm_file(directory, "j-1", b"the JVM's")

    jvm.send_call("crash", [7])

    assert jvm.wait() == 7
    assert sorted(os.listdir(directory)) == ["j-1", "w10-1"]


def test_the_keepers_remove_the_pools_directory_when_the_jvm_dies(tmp_path):
    directory = str(tmp_path / "pool")
    os.mkdir(directory, 0o700)
    code = ("import os, sys\n"
            "sys.path.insert(0, %r)\n"
            "import harness\n"
            "env = {'SNAKEPIT_SHM_DIR': %r}\n"
            "jvm = harness.FakeJvm(env=env)\n"
            "jvm.start()\n"
            "open(os.path.join(%r, 'j-1'), 'wb').write(b'x' * 4096)\n"
            "print(jvm.proc.pid, jvm.worker_pid, flush=True)\n"
            "sys.stdin.read()\n") % (os.path.dirname(os.path.abspath(__file__)), directory, directory)
    with harness.StandInJvm(code) as parent:
        pids = parent.pids()
        harness.STARTED_GROUPS.update(pids)
        assert os.listdir(directory) == ["j-1"]

        parent.kill()
        killed = time.monotonic()

        harness.wait_until(lambda: not os.path.exists(directory), 2.0)
        assert time.monotonic() - killed < 2.0
        assert harness.survivors(pids, 2.0) == []
