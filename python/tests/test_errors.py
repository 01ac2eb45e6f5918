"""Exceptions as data and ERROR bodies (snakepit/errors.py), and tracebacks that start at the tool."""
import sys

import pytest

from snakepit import errors, values


def _lookup(table, key):
    return table[key]


def raise_chained():
    try:
        _lookup({}, "missing")
    except KeyError as err:
        raise ValueError("bad input") from err


def caught(function, *args):
    try:
        function(*args)
    except BaseException as exc:
        return exc
    raise AssertionError("did not raise")


def test_describes_type_message_frames_and_cause():
    data = errors.exception_data(caught(raise_chained))
    assert (data["type"], data["module"], data["message"]) == ("ValueError", "builtins", "bad input")
    assert [f["function"] for f in data["frames"]] == ["caught", "raise_chained"]
    assert data["frames"][-1]["source"] == 'raise ValueError("bad input") from err'
    assert data["frames"][-1]["file"].endswith("test_errors.py")
    assert isinstance(data["frames"][-1]["line"], int)
    cause = data["cause"]
    assert cause["type"] == "KeyError" and cause["message"] == "'missing'"
    assert [f["function"] for f in cause["frames"]] == ["raise_chained", "_lookup"]
    # raise ... from inside except: the context is the cause itself, described once.
    assert data["context"] is None
    assert data["suppress_context"] is True
    assert "The above exception was the direct cause" in data["traceback"]
    assert data["traceback"].rstrip().endswith("ValueError: bad input")
    assert "direct cause" not in cause["traceback"]


def test_context_without_cause():
    def handler():
        try:
            raise KeyError("first")
        except KeyError:
            raise RuntimeError("second")

    data = errors.exception_data(caught(handler))
    assert data["cause"] is None
    assert data["context"]["type"] == "KeyError"
    assert data["suppress_context"] is False
    assert "During handling of the above exception" in data["traceback"]


def test_the_data_is_a_protocol_value():
    values.encode(errors.exception_data(caught(raise_chained)))


def chain(depth):
    exc = None
    for i in range(depth):
        new = RuntimeError("level %d" % i)
        new.__cause__ = exc
        exc = new
    return exc


def levels(data):
    count = 0
    while data is not None:
        count += 1
        data = data["cause"]
    return count


def test_chains_are_cut_after_16_levels():
    assert levels(errors.exception_data(chain(16))) == 16
    assert levels(errors.exception_data(chain(40))) == 16


def test_cycles_end():
    a = ValueError("a")
    b = ValueError("b")
    a.__cause__ = b
    b.__cause__ = a
    a.__context__ = a
    data = errors.exception_data(a)
    assert data["cause"]["message"] == "b"
    assert data["cause"]["cause"] is None
    assert data["context"] is None


def test_a_failing_str_does_not_break_the_description():
    class Nasty(Exception):
        def __str__(self):
            raise RuntimeError("no str for you")

    data = errors.exception_data(caught(lambda: (_ for _ in ()).throw(Nasty())))
    assert data["type"] == "test_a_failing_str_does_not_break_the_description.<locals>.Nasty"
    assert "str() of" in data["message"]
    assert errors.summary(Nasty()).startswith("test_a_failing")


def test_exceptions_of_user_modules_carry_their_module():
    class Custom(Exception):
        pass

    assert errors.exception_data(Custom("x"))["module"] == __name__


def test_never_raised_exception_has_no_frames():
    data = errors.exception_data(KeyError("k"))
    assert data["frames"] == []
    assert data["traceback"] == "KeyError: 'k'\n"


def test_summary_line():
    assert errors.summary(ValueError("bad")) == "ValueError: bad"
    assert errors.summary(ValueError()) == "ValueError"


def test_error_bodies():
    assert errors.unknown_tool("ad", ["echo", "add"]) == {
        "kind": "INVALID_REQUEST", "message": "unknown tool 'ad'; available: add, echo",
        "details": {"tool": "ad", "available": ["add", "echo"]}}
    body = errors.error_body(errors.PYTHON_EXCEPTION, "ValueError: x", ValueError("x"))
    assert list(body) == ["kind", "message", "exception", "details"]
    assert body["details"] == {}
    assert errors.cancelled("spin")["kind"] == "CANCELLED"


@pytest.mark.parametrize("depth", [1, 200])
def test_deep_recursion_errors_are_described(depth):
    def recurse(n):
        if n == 0:
            raise RecursionError("deep")
        recurse(n - 1)

    data = errors.exception_data(caught(recurse, depth))
    assert len(data["frames"]) == depth + 2


# ------------------------------------------------------------------------------------ exception groups

groups = pytest.mark.skipif(sys.version_info < (3, 11), reason="exception groups came with Python 3.11")


def raise_batch():
    raise ExceptionGroup("batch", [caught(_fail, ValueError("a")),
                                   ExceptionGroup("inner", [caught(_fail, KeyError("k"))])])


def _fail(exc):
    raise exc


def group_of(n, message="wide"):
    return ExceptionGroup(message, [ValueError(str(i)) for i in range(n)])


def described(data):
    """Every exception description inside one, itself included."""
    if data is None:
        return []
    found = [data]
    for member in data.get("exceptions", []):
        found += described(member)
    return found + described(data["cause"]) + described(data["context"])


@groups
def test_an_exception_group_describes_its_sub_exceptions_and_nested_groups():
    data = errors.exception_data(caught(raise_batch))

    assert (data["type"], data["message"]) == ("ExceptionGroup", "batch (2 sub-exceptions)")
    assert [f["function"] for f in data["frames"]] == ["caught", "raise_batch"]
    assert data["exceptions_left_out"] == 0
    first, inner = data["exceptions"]
    assert (first["type"], first["module"], first["message"]) == ("ValueError", "builtins", "a")
    assert [f["function"] for f in first["frames"]] == ["caught", "_fail"]
    assert first["frames"][-1]["source"] == "raise exc"
    assert "exceptions" not in first and "exceptions_left_out" not in first
    assert (inner["type"], inner["message"]) == ("ExceptionGroup", "inner (1 sub-exception)")
    assert inner["frames"] == []  # built, never raised
    (key,) = inner["exceptions"]
    assert (key["type"], key["message"]) == ("KeyError", "'k'")
    # The top text is what Python prints, with every member; a member's text is its own.
    assert "ValueError: a" in data["traceback"] and "KeyError: 'k'" in data["traceback"]
    assert "KeyError: 'k'" in inner["traceback"] and "ValueError: a" not in inner["traceback"]
    assert first["traceback"].rstrip().endswith("ValueError: a")
    values.encode(data)


@groups
def test_a_base_exception_group_is_described_like_any_group():
    data = errors.exception_data(BaseExceptionGroup("stop", [KeyboardInterrupt(), SystemExit(2)]))

    assert data["type"] == "BaseExceptionGroup"
    assert [m["type"] for m in data["exceptions"]] == ["KeyboardInterrupt", "SystemExit"]


@groups
def test_sub_exceptions_carry_their_own_cause_and_context():
    def handled():
        try:
            raise OSError("disk")
        except OSError as err:
            raise RuntimeError("write failed") from err

    def during():
        try:
            1 / 0
        except ZeroDivisionError:
            raise LookupError("while dividing")

    data = errors.exception_data(ExceptionGroup("g", [caught(handled), caught(during)]))

    with_cause, with_context = data["exceptions"]
    assert with_cause["cause"]["message"] == "disk" and with_cause["suppress_context"] is True
    assert with_context["cause"] is None and with_context["context"]["type"] == "ZeroDivisionError"


def test_an_ordinary_exception_has_no_sub_exception_fields():
    everything = described(errors.exception_data(caught(raise_chained)))

    assert len(everything) == 2
    for data in everything:
        assert "exceptions" not in data and "exceptions_left_out" not in data


@groups
def test_a_group_lists_at_most_64_sub_exceptions_and_counts_the_rest():
    data = errors.exception_data(group_of(100))

    assert len(data["exceptions"]) == errors.MAX_GROUP_WIDTH == 64
    assert [m["message"] for m in data["exceptions"]] == [str(i) for i in range(64)]
    assert data["exceptions_left_out"] == 36


@groups
def test_each_sub_exception_is_described_once():
    shared = ValueError("shared")
    data = errors.exception_data(ExceptionGroup("g", [shared, ExceptionGroup("h", [shared]), shared]))

    assert data["exceptions"][0]["message"] == "shared"
    assert data["exceptions"][1]["exceptions"] == [None]
    assert data["exceptions"][2] is None
    assert data["exceptions_left_out"] == 0


@groups
def test_a_group_raised_while_handling_its_member_lists_the_member_and_omits_the_context():
    def regroup():
        try:
            raise ValueError("first")
        except ValueError as err:
            raise ExceptionGroup("again", [err])

    data = errors.exception_data(caught(regroup))

    assert data["exceptions"][0]["message"] == "first"
    assert data["context"] is None


@groups
def test_nested_groups_stop_at_the_depth_limit():
    exc = ValueError("bottom")
    for i in range(30):
        exc = ExceptionGroup("level %d" % i, [exc])

    data = errors.exception_data(exc)

    depth = 1
    while data["exceptions"][0] is not None:
        data = data["exceptions"][0]
        depth += 1
    assert depth == errors.MAX_CHAIN_DEPTH == 16
    assert data["type"] == "ExceptionGroup" and data["exceptions_left_out"] == 0


@groups
def test_a_description_holds_at_most_256_exceptions():
    data = errors.exception_data(ExceptionGroup("outer", [group_of(64, "g%d" % i) for i in range(64)]))

    assert len(described(data)) == errors.MAX_DESCRIBED == 256
    assert len(data["exceptions"]) == 64
    assert data["exceptions"][-1] is None  # the budget ran out before the last member
    values.encode(data)


@groups
def test_a_group_whose_members_cannot_be_read_is_still_described():
    class Odd(ExceptionGroup):
        @property
        def exceptions(self):
            raise RuntimeError("no members for you")

    data = errors.exception_data(Odd("odd", [ValueError("x")]))

    assert data["message"].startswith("odd")
    assert data["exceptions"] == [] and data["exceptions_left_out"] == 0


@groups
def test_without_exception_groups_a_group_is_described_as_a_plain_exception(monkeypatch):
    # As on Python 3.9 and 3.10, where nothing is a group.
    monkeypatch.setattr(errors, "_GROUP", None)

    data = errors.exception_data(caught(raise_batch))

    assert data["type"] == "ExceptionGroup" and "exceptions" not in data


def function_in(module, source, name):
    """A function whose frames report ``module`` as their module, as the runtime's frames do."""
    namespace = {"__name__": module}
    exec(compile(source, "<%s>" % module, "exec"), namespace)
    return namespace[name]


def test_tracebacks_start_at_the_tool_and_end_where_the_tool_was():
    wake = function_in("snakepit.cancel", "def woke(signum):\n    raise KeyboardInterrupt\n", "woke")
    tool = function_in("tools", "def tool(wake):\n    wake(0)\n", "tool")
    runner = function_in("snakepit.adapter", "def call(tool, wake):\n    return tool(wake)\n", "call")
    serve = function_in("snakepit.worker", "def run(call, tool, wake):\n    return call(tool, wake)\n", "run")
    try:
        serve(runner, tool, wake)
    except KeyboardInterrupt as exc:
        landed = exc
    landed.__traceback__ = landed.__traceback__.tb_next  # this test's own frame

    errors.strip_runtime_frames(landed)

    assert [f["function"] for f in errors.exception_data(landed)["frames"]] == ["tool"]


def test_a_traceback_of_runtime_frames_only_keeps_its_last():
    serve = function_in("snakepit.worker", "def run():\n    raise ValueError('inside the runtime')\n", "run")
    try:
        serve()
    except ValueError as exc:
        raised = exc
    raised.__traceback__ = raised.__traceback__.tb_next

    errors.strip_runtime_frames(raised)

    assert [f["function"] for f in errors.exception_data(raised)["frames"]] == ["run"]


def test_an_oversize_error_is_shortened_to_its_kind_and_4000_characters():
    body = errors.error_body(errors.INVALID_REQUEST, "x" * 5000, ValueError("big"), {"tool": "t"})

    short = errors.shortened(body)

    assert short == {"kind": "INVALID_REQUEST", "message": "x" * 4000 + " [truncated]", "details": {}}
    assert errors.shortened(errors.error_body(errors.CANCELLED, "short"))["message"] == "short"


def test_an_invalid_call_carries_its_error_body():
    body = errors.invalid_request("\"args\" must be a list", {"tool": "x"})

    invalid = errors.InvalidCall(body)

    assert invalid.body is body and str(invalid) == "\"args\" must be a list"
