"""Adapters (snakepit/adapter.py): loading the class, discovering and describing its tools, and the
ToolRunner that binds and runs calls."""
import inspect
import os
import subprocess
import sys
import typing

import pytest

from snakepit import Adapter, tool
from snakepit.adapter import Tool, ToolRunner, discover_tools, load_class
from snakepit.errors import InvalidCall, strip_runtime_frames
from snakepit.signatures import annotation_text


class Sample(Adapter):
    def __init__(self):
        self.calls = []

    @tool
    def add(self, a: int, b: int = 2) -> int:
        """Add two numbers.

        More text.
        """
        return a + b

    @tool(name="renamed", description="Described here.")
    def original(self, x):
        """Not this docstring."""
        return x

    @tool
    def kinds(self, p, /, q: "Custom", *args: str, k: typing.Optional[int] = 3, o=object(), **rest):
        return [p, q, list(args), k, rest]

    @tool
    def boom(self, x: int):
        return x + "text"  # a TypeError inside the tool

    @staticmethod
    @tool
    def static_tool(v: list = [1, "a"]):
        return v

    @tool
    @classmethod
    def class_tool(cls, b: bytes = b"\x00"):
        return cls.__name__

    def helper(self):
        """Not a tool."""


class Child(Sample):
    def boom(self, x):  # overridden without @tool: no longer a tool
        return x

    @tool
    def extra(self):
        pass


def describe(tools, name):
    return tools[name].describe()


def test_discovers_marked_methods_only_in_definition_order():
    tools = discover_tools(Sample())
    assert list(tools) == ["add", "renamed", "kinds", "boom", "static_tool", "class_tool"]


def test_subclass_can_add_and_remove_tools():
    assert list(discover_tools(Child())) == ["add", "renamed", "kinds", "static_tool", "class_tool", "extra"]


def test_metadata_of_a_simple_tool():
    assert describe(discover_tools(Sample()), "add") == {
        "name": "add", "doc": "Add two numbers.\n\nMore text.", "stream": False, "concurrency": 1,
        "parameters": [
            {"name": "a", "kind": "positional_or_keyword", "required": True, "annotation": "int"},
            {"name": "b", "kind": "positional_or_keyword", "required": False, "default": 2,
             "default_repr": "2", "annotation": "int"},
        ]}


def test_name_and_description_can_be_given():
    described = describe(discover_tools(Sample()), "renamed")
    assert described["doc"] == "Described here."
    assert described["parameters"] == [{"name": "x", "kind": "positional_or_keyword", "required": True}]


def test_parameter_kinds_defaults_and_annotations():
    params = describe(discover_tools(Sample()), "kinds")["parameters"]
    assert [(p["name"], p["kind"], p["required"]) for p in params] == [
        ("p", "positional_only", True), ("q", "positional_or_keyword", True),
        ("args", "var_positional", False), ("k", "keyword_only", False), ("o", "keyword_only", False),
        ("rest", "var_keyword", False)]
    assert params[1]["annotation"] == "Custom"
    assert params[2]["annotation"] == "str"
    assert params[3]["annotation"] == "Optional[int]"
    assert params[3]["default"] == 3
    assert "default" not in params[4] and params[4]["default_repr"].startswith("<object object")
    assert "annotation" not in params[0]


def test_defaults_that_are_protocol_values_are_included():
    tools = discover_tools(Sample())
    assert describe(tools, "static_tool")["parameters"][0]["default"] == [1, "a"]
    class_param = describe(tools, "class_tool")["parameters"][0]
    assert class_param["default"] == b"\x00" and class_param["default_repr"] == "b'\\x00'"


def test_string_annotations_are_kept_as_written():
    sys.path.insert(0, __import__("harness").ADAPTERS_DIR)
    cls = load_class("testadapters.future_annotations:Annotated")
    params = describe(discover_tools(cls()), "find")["parameters"]
    assert [p["annotation"] for p in params] == ["str", "Optional[int]"]
    assert params[1]["default"] is None and params[1]["default_repr"] == "None"


def test_annotation_text():
    class Point:
        pass

    assert annotation_text(int) == "int"
    assert annotation_text(Point) == "Point"
    assert annotation_text(typing.List[int]) == "List[int]"
    assert annotation_text(list[int]) == "list[int]"
    assert annotation_text("a.B") == "a.B"


def test_the_runner_binds_and_calls():
    runner = ToolRunner(Sample())
    assert runner.mode == "tools"
    assert runner.call("add", [1], {}) == 3
    assert runner.call("add", [], {"a": 1, "b": 5}) == 6
    assert runner.call("static_tool", [], {}) == [1, "a"]
    assert runner.call("class_tool", [], {}) == "Sample"


def test_unknown_tool_lists_the_available_ones():
    with pytest.raises(InvalidCall) as err:
        ToolRunner(Sample()).call("ad", [], {})
    body = err.value.body
    assert body["kind"] == "INVALID_REQUEST"
    assert body["message"] == ("unknown tool 'ad'; available: add, boom, class_tool, kinds, renamed, "
                               "static_tool")
    assert body["details"] == {"tool": "ad", "available": ["add", "boom", "class_tool", "kinds", "renamed",
                                                           "static_tool"]}


@pytest.mark.parametrize("args,kwargs,reason,extra", [
    ([], {}, "missing a required argument: 'a'", {}),
    ([1, 2, 3], {}, "too many positional arguments: 3 given, it takes at most 2",
     {"too_many_positional": {"given": 3, "max": 2}}),
    ([1], {"c": 1}, "unexpected keyword argument 'c'", {"unexpected": ["c"]}),
    ([1], {"a": 1}, "multiple values for argument 'a'", {}),
])
def test_arguments_that_do_not_fit_are_invalid_requests(args, kwargs, reason, extra):
    with pytest.raises(InvalidCall) as err:
        ToolRunner(Sample()).call("add", args, kwargs)
    body = err.value.body
    signature = "(a: int, b: int = 2) -> int"
    assert body["details"] == dict({"tool": "add", "signature": signature, "reason": reason}, **extra)
    assert body["message"] == "arguments do not fit add%s: %s" % (signature, reason)


class Misspelled:
    @tool
    def echo(self, value):
        return value

    @tool
    def scale(self, x, /, factor=2, *, offset=0):
        return x * factor + offset

    @tool
    def gather(self, *items, **options):
        return [items, options]


def _mismatch(name, args, kwargs):
    with pytest.raises(InvalidCall) as err:
        ToolRunner(Misspelled()).call(name, args, kwargs)
    return err.value.body["details"]


def test_a_misspelled_keyword_is_named_with_the_closest_parameter_and_what_bind_finds():
    details = _mismatch("echo", [], {"valu": 1})
    assert details == {"tool": "echo", "signature": "(value)", "unexpected": ["valu"],
                       "reason": "unexpected keyword argument 'valu' (did you mean 'value'?); "
                                 "missing a required argument: 'value'"}


@pytest.mark.parametrize("args,kwargs,reason,unexpected", [
    # Every unknown keyword is named, each with its own suggestion, or none when nothing is close.
    ([1], {"factr": 3, "ofset": 1}, "unexpected keyword argument 'factr' (did you mean 'factor'?); "
                                    "unexpected keyword argument 'ofset' (did you mean 'offset'?)", ["factr", "ofset"]),
    ([1], {"zzz": 3}, "unexpected keyword argument 'zzz'", ["zzz"]),
    # A parameter already given is not suggested.
    ([1], {"factor": 3, "factors": 4}, "unexpected keyword argument 'factors'", ["factors"]),
    # A positional-only parameter is not suggested as a keyword; bind says why it cannot be one.
    ([], {"x": 1}, "'x' parameter is positional only, but was passed as a keyword", None),
    ([], {"xx": 1}, "unexpected keyword argument 'xx'; missing a required argument: 'x'", ["xx"]),
])
def test_unknown_keywords_are_named_in_reason_and_details(args, kwargs, reason, unexpected):
    details = _mismatch("scale", args, kwargs)
    assert details["reason"] == reason
    assert details.get("unexpected") == unexpected
    assert details["signature"] == "(x, /, factor=2, *, offset=0)"


def test_too_many_positional_arguments_are_counted_next_to_other_problems():
    details = _mismatch("scale", [1, 2, 3], {"offset": 1, "ofset": 2})
    assert details["reason"] == ("unexpected keyword argument 'ofset'; "
                                 "too many positional arguments: 3 given, it takes at most 2")
    assert details["too_many_positional"] == {"given": 3, "max": 2}
    assert _mismatch("echo", [1, 2], {})["reason"] == "too many positional arguments: 2 given, it takes at most 1"
    with pytest.raises(InvalidCall) as err:
        ToolRunner(NoParameters()).call("none", [1], {})
    assert err.value.body["details"]["reason"] == "too many positional arguments: 1 given, it takes none"


class NoParameters:
    @tool
    def none(self):
        pass


def test_variadic_parameters_accept_any_keyword_and_any_number_of_positionals():
    assert ToolRunner(Misspelled()).call("gather", [1, 2, 3], {"anything": 4}) == [(1, 2, 3), {"anything": 4}]


def test_type_error_inside_the_tool_is_not_an_invalid_request():
    try:
        ToolRunner(Sample()).call("boom", [1], {})
    except TypeError as exc:
        error = exc
    # As the worker sees it: its own frames first, then the tool's.
    error.__traceback__ = error.__traceback__.tb_next
    assert error.__traceback__.tb_frame.f_code.co_name == "call"
    strip_runtime_frames(error)
    assert error.__traceback__.tb_frame.f_code.co_name == "boom"


class SelfDispatching:
    @tool
    def declared(self, x: int) -> int:
        return x

    def execute_tool(self, name, args, kwargs):
        return [name, args, kwargs]


def test_execute_tool_mode_receives_every_call():
    runner = ToolRunner(SelfDispatching())
    assert runner.mode == "execute_tool"
    assert [t["name"] for t in runner.describe_tools()] == ["declared"]
    assert runner.call("anything", [1], {"k": 2}) == ["anything", [1], {"k": 2}]


class AsyncTools:
    @tool
    async def twice(self, x: int) -> int:
        import asyncio
        await asyncio.sleep(0)
        return 2 * x


def test_async_tools_run_on_a_persistent_loop():
    runner = ToolRunner(AsyncTools())
    assert runner.call("twice", [2], {}) == 4
    loop = runner._loop
    assert runner.call("twice", [3], {}) == 6
    assert runner._loop is loop
    runner.close()


@pytest.mark.parametrize("value, error, message", [
    (0, ValueError, "@tool concurrency must be at least 1, got 0"),
    (-3, ValueError, "@tool concurrency must be at least 1, got -3"),
    (True, TypeError, "@tool concurrency must be an int of at least 1, not True"),
    (2.0, TypeError, "@tool concurrency must be an int of at least 1, not 2.0"),
    ("4", TypeError, "@tool concurrency must be an int of at least 1, not '4'"),
    (None, TypeError, "@tool concurrency must be an int of at least 1, not None"),
])
def test_a_bad_concurrency_is_refused_when_the_tool_is_marked(value, error, message):
    with pytest.raises(error) as refused:
        tool(concurrency=value)
    assert str(refused.value) == message


def test_streamed_tools_run_one_call_at_a_time():
    def items():
        yield 1

    async def async_items():
        yield 1

    for function in (items, async_items):
        with pytest.raises(ValueError, match=r"@tool\(concurrency=2\) cannot mark .*items: it is a generator "
                                             r"function, and streamed tools run one call at a time"):
            tool(concurrency=2)(function)
    assert tool(concurrency=1)(items) is items


class Concurrent:
    @tool(concurrency=8)
    async def fetch(self, url: str) -> str:
        return url

    @tool(concurrency=2)
    def crunch(self, n: int) -> int:
        return n

    @tool
    def plain(self) -> None:
        pass


def test_the_concurrency_of_a_tool_is_described_and_known_to_the_runner():
    runner = ToolRunner(Concurrent())
    described = {t["name"]: t["concurrency"] for t in runner.describe_tools()}
    assert described == {"fetch": 8, "crunch": 2, "plain": 1}
    assert sorted(runner.concurrent) == ["crunch", "fetch"]
    assert [runner.concurrency_of(name) for name in ("fetch", "crunch", "plain", "unknown")] == [8, 2, 1, 1]


def test_execute_tool_adapters_run_every_call_serially():
    class Dispatching(Concurrent):
        def execute_tool(self, name, args, kwargs):
            return name

    runner = ToolRunner(Dispatching())
    assert runner.concurrent == {}
    assert {t["name"]: t["concurrency"] for t in runner.describe_tools()} == {"fetch": 1, "crunch": 1, "plain": 1}
    assert runner.concurrency_of("fetch") == 1


def test_a_serial_call_of_an_async_tool_with_concurrency_runs_on_the_tools_loop():
    runner = ToolRunner(Concurrent())
    try:
        assert runner.call("fetch", ["u"], {}) == "u"
        assert runner._loop is None, "not on the main thread's loop"
        tasks = runner.tasks()
        assert tasks._thread.is_alive()
        with pytest.raises(InvalidCall):
            runner.call("fetch", [], {})
    finally:
        runner.close()
    assert not tasks._thread.is_alive()


def test_duplicate_tool_names_are_refused():
    class Clash:
        @tool(name="x")
        def a(self):
            pass

        @tool(name="x")
        def b(self):
            pass

    with pytest.raises(ValueError, match="two tools are named 'x'"):
        discover_tools(Clash())


def test_plain_classes_work_without_the_base():
    class Plain:
        @tool
        def hi(self):
            return "hi"

    assert ToolRunner(Plain()).call("hi", [], {}) == "hi"


@pytest.mark.parametrize("spec", ["nocolon", ":Class", "module:", "snakepit:__version__"])
def test_bad_adapter_specs(spec):
    with pytest.raises((ValueError, TypeError)):
        load_class(spec)


def test_load_class_follows_dotted_attributes():
    assert load_class("snakepit.examples.demo:DemoAdapter").__name__ == "DemoAdapter"
    assert load_class("test_adapter:Sample") is Sample


def _signatures():
    def plain(a, b=2): ...
    def keyword_only(a, *, k, m=1): ...
    def no_parameters(): ...
    def positional_only(a, /, b): ...
    def var_positional(a, *rest): ...
    def var_keyword(a, **options): ...
    return [plain, keyword_only, no_parameters, positional_only, var_positional, var_keyword]


@pytest.mark.parametrize("function", _signatures(), ids=lambda f: f.__name__)
def test_the_quick_argument_check_agrees_with_signature_bind(function):
    checked = Tool(function.__name__, function, None)
    names = ["a", "b", "k", "m", "rest", "options", "zzz"]
    for count in range(4):
        for mask in range(1 << len(names)):
            args = list(range(count))
            kwargs = {name: 0 for i, name in enumerate(names) if mask >> i & 1}
            try:
                inspect.signature(function).bind(*args, **kwargs)
                fits = True
            except TypeError:
                fits = False
            try:
                checked.check(args, kwargs)
                accepted = True
            except TypeError:
                accepted = False
            assert accepted == fits, (args, kwargs)


_ASYNCIO_PROBE = """
import sys
from snakepit import Adapter, tool
from snakepit.adapter import ToolRunner

class Plain(Adapter):
    @tool
    def ping(self):
        pass

class Asynchronous(Adapter):
    @tool
    async def ping(self):
        pass

ToolRunner(Plain())
print("asyncio" in sys.modules)
ToolRunner(Asynchronous())
print("asyncio" in sys.modules)
"""


def test_asyncio_is_imported_only_for_adapters_with_async_tools():
    # asyncio costs tens of milliseconds of every worker's start; a synchronous adapter never needs it.
    # A fresh interpreter (-I: no user site, no PYTHONPATH), so that nothing imported it before.
    runtime = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-I", "-c", "import sys; sys.path.insert(0, %r)\n" % runtime + _ASYNCIO_PROBE],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]
