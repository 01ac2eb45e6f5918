"""Batches (snakepit/batches.py, docs/protocol.md section 4.15) against real workers: items run in
order with the common arguments under their own, an item's failure is its own, results that do not
fit the frame are left out with an error each, and a cancel ends the whole batch."""
import harness
from snakepit import protocol

S1 = "b" * 32


def _batch(jvm, tool, items, args=None, kwargs=None, timeout_ms=5000, **fields):
    body = {"tool": tool, "args": args or [], "kwargs": kwargs or {}, "timeout_ms": timeout_ms, "batch": items}
    body.update(fields)
    return jvm.send_request(protocol.CALL, body)


def test_items_run_in_order_with_common_arguments_under_their_own(jvm_factory):
    jvm = jvm_factory()
    jvm.start()
    request_id = _batch(jvm, "add", [{"a": 1}, {"a": 2, "b": 10}, {"a": -5}], kwargs={"b": 100})
    assert jvm.reply(request_id).value == {"results": [101, 12, 95]}


def test_a_failing_item_gets_its_error_and_the_others_run(jvm_factory):
    jvm = jvm_factory()
    jvm.start()
    request_id = _batch(jvm, "add", [{"a": 1, "b": 1}, {"a": 1, "c": 3}, {"a": "x", "b": 1}, {"a": 2, "b": 2}])
    value = jvm.reply(request_id).value
    assert value["results"] == [2, None, None, 4]
    (bad_args, bad_args_error), (raised, raised_error) = value["errors"]
    assert (bad_args, raised) == (1, 2)
    assert bad_args_error["kind"] == "INVALID_REQUEST" and "c" in bad_args_error["message"]
    assert raised_error["kind"] == "PYTHON_EXCEPTION"
    assert raised_error["exception"]["type"] == "TypeError"
    # The traceback starts at the tool, not in the runtime's loop over the items.
    assert raised_error["exception"]["frames"][0]["function"] == "add"
    assert jvm.call("add", 1, 2).value == 3  # the worker serves on


def test_results_that_cannot_cross_become_their_items_errors(jvm_factory):
    jvm = jvm_factory()
    jvm.start()
    value = jvm.reply(_batch(jvm, "unserializable", [{}, {}])).value
    assert value["results"] == [None, None]
    assert [index for index, _ in value["errors"]] == [0, 1]
    for _, error in value["errors"]:
        assert error["kind"] == "SERIALIZATION_ERROR"
        assert "item" in error["message"] and "set" in error["message"]


def test_results_beyond_the_frame_are_left_out_with_an_error_each(jvm_factory):
    jvm = jvm_factory(max_frame_bytes=1 << 20)
    jvm.start()
    n = 300_000
    value = jvm.reply(_batch(jvm, "big_result", [{"n": n}] * 5)).value
    assert [len(r) for r in value["results"][:3]] == [n] * 3
    assert value["results"][3:] == [None, None]
    assert [index for index, _ in value["errors"]] == [3, 4]
    for _, error in value["errors"]:
        assert error["kind"] == "SERIALIZATION_ERROR"
        assert "did not fit" in error["message"] and error["details"]["max_frame_bytes"] == 1 << 20
    assert jvm.call("add", 1, 2).value == 3


def test_a_cancel_ends_the_whole_batch(jvm_factory):
    jvm = jvm_factory()
    jvm.start()
    request_id = _batch(jvm, "sleep", [{"seconds": 0.0}, {"seconds": 30.0}, {"seconds": 0.0}])
    jvm.cancel(request_id, "batch cancelled")
    error = jvm.reply(request_id).error
    assert error["kind"] == "CANCELLED"
    assert jvm.call("add", 1, 2).value == 3


def test_a_session_runs_its_batch_with_the_session_current(jvm_factory):
    jvm = jvm_factory("testadapters.sessions:SessionsAdapter")
    jvm.start()
    request_id = _batch(jvm, "add", [{"item": "x"}, {"item": "y"}], session=S1, open_session=True)
    assert jvm.reply(request_id).value == {"results": [1, 2]}
    request_id = _batch(jvm, "add", [{"item": "z"}], session=S1)
    assert jvm.reply(request_id).value == {"results": [3]}


def test_malformed_batches_are_refused_and_the_worker_serves_on(jvm_factory):
    jvm = jvm_factory()
    jvm.start()
    for batch, fragment in (([], "1 to 65536 items"), ({"a": 1}, "1 to 65536 items"),
                            ([{"a": 1}, 5], "\"batch\"[1] is invalid: an item must be an object")):
        error = jvm.reply(_batch(jvm, "add", batch)).error
        assert error["kind"] == "INVALID_REQUEST" and fragment in error["message"], error
    error = jvm.reply(_batch(jvm, "add", [{"a": 1}], stream={"credit": 4})).error
    assert error["kind"] == "INVALID_REQUEST" and "both a batch and a stream" in error["message"]
    assert jvm.call("add", 1, 2).value == 3
