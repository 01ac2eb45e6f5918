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
