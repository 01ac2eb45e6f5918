"""Adapters: loading the user's class, discovering its tools, describing them and running calls on them.

An adapter is any class constructible without arguments. Its methods marked with ``@tool`` are its
tools; optional ``setup()`` and ``teardown()`` run at start and at SHUTDOWN, and the optional session
hooks when a session opens, closes or moves (sessions.py). A class that defines
``execute_tool(self, name, args, kwargs)`` receives every call itself (dispatch mode
``execute_tool``); its ``@tool`` methods are still listed in the handshake.

Arguments are bound to the tool's signature before the call, so "wrong arguments" (the caller's
fault, INVALID_REQUEST) is told apart from a TypeError raised inside the tool (PYTHON_EXCEPTION).
"""
import importlib
import inspect
import types
from typing import Any, Callable, Dict, List, Optional, Tuple

from . import errors, streams, values

_MARK = "__snakepit_tool__"
_GENERATORS = frozenset((types.GeneratorType, types.AsyncGeneratorType))
_PARAMETER_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: "positional_only",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional_or_keyword",
    inspect.Parameter.KEYWORD_ONLY: "keyword_only",
    inspect.Parameter.VAR_POSITIONAL: "var_positional",
    inspect.Parameter.VAR_KEYWORD: "var_keyword",
}


class _ToolMark:
    __slots__ = ("name", "description")

    def __init__(self, name: Optional[str], description: Optional[str]) -> None:
        self.name = name
        self.description = description


def tool(function: Optional[Callable] = None, *, name: Optional[str] = None,
         description: Optional[str] = None) -> Any:
    """Marks an adapter method as a tool.

    Use as ``@tool`` or ``@tool(name="other", description="...")``. The tool's name defaults to the
    method's name and its description to the method's docstring.
    """
    def mark(fn: Any) -> Any:
        # staticmethod/classmethod objects: mark the function they wrap, which discovery inspects.
        target = getattr(fn, "__func__", fn)
        if not callable(target):
            raise TypeError("@tool applies to functions and methods, not %r" % (fn,))
        setattr(target, _MARK, _ToolMark(name, description))
        return fn

    if function is not None:
        return mark(function)
    return mark


class Adapter:
    """Optional base class of adapters; any class constructible without arguments works as well."""

    def setup(self) -> None:
        """Runs once after construction, before the worker reports ready. Failure stops the start."""

    def teardown(self) -> None:
        """Runs once at an orderly SHUTDOWN (not when the JVM dies). Errors are logged."""

    def open_session(self, session: Any) -> None:
        """Runs when a session opens on this worker; ``session.state`` is an empty dict to fill. An
        exception fails the opening."""

    def close_session(self, session: Any, reason: str) -> None:
        """Runs when a session closes on this worker: ``reason`` is closed, idle, lifetime, moved,
        drained or pool_closed. Not run when the worker dies."""


class Tool:
    """One callable tool with its cached signature."""

    __slots__ = ("name", "function", "signature", "bind", "is_async", "streams", "doc", "_plain")

    def __init__(self, name: str, function: Callable, doc: Optional[str]) -> None:
        self.name = name
        self.function = function
        self.signature = inspect.signature(function)
        self.bind = self.signature.bind
        self.is_async = inspect.iscoroutinefunction(function)
        # A generator function: a plain call gets its items as a list, a streamed call one by one.
        self.streams = inspect.isgeneratorfunction(function) or inspect.isasyncgenfunction(function)
        self.doc = doc
        self._plain = _plain_parameters(self.signature)

    def check(self, args: list, kwargs: dict) -> None:
        """Raises TypeError, as calling would, when the arguments do not fit the signature.

        Signature.bind costs microseconds, as much as a whole small call; a signature of plain named
        parameters (the usual case) is checked directly, and bind decides only what that check cannot.
        """
        plain = self._plain
        if plain is not None:
            positional, names, required = plain
            if len(args) <= len(positional):
                given = positional[:len(args)]
                if (all(key in names and key not in given for key in kwargs)
                        and all(name in given or name in kwargs for name in required)):
                    return
        self.bind(*args, **kwargs)

    def describe(self) -> Dict[str, Any]:
        return {"name": self.name, "doc": self.doc, "stream": self.streams,
                "parameters": [_describe_parameter(p) for p in self.signature.parameters.values()]}


def _plain_parameters(signature: inspect.Signature) -> Optional[Tuple[Tuple[str, ...], frozenset, Tuple[str, ...]]]:
    """(positional names, all names, required names) when every parameter is an ordinary named one
    (positional-or-keyword, or keyword-only); None when the signature needs Signature.bind."""
    positional = []
    required = []
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
            positional.append(parameter.name)
        elif parameter.kind is not inspect.Parameter.KEYWORD_ONLY:
            return None
        if parameter.default is inspect.Parameter.empty:
            required.append(parameter.name)
    return tuple(positional), frozenset(signature.parameters), tuple(required)


def explain_mismatch(signature: inspect.Signature, args: list, kwargs: dict,
                     error: TypeError) -> Tuple[str, Dict[str, Any]]:
    """Why arguments do not fit a signature, and details to add to the error: every keyword the signature
    has no parameter for, with the closest parameter name not given yet, and surplus positional
    arguments, then whatever else Signature.bind finds.

    bind stops at the first problem, and it looks for missing parameters before unknown names, so on
    its own a misspelled keyword (``valu=1`` for ``value``) reads as "missing a required argument".
    """
    import difflib  # here, not at the top: about a millisecond of every worker's start, for a failure path
    parameters = list(signature.parameters.values())
    kinds = {p.kind for p in parameters}
    positional = [p.name for p in parameters
                  if p.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    problems = []
    extra: Dict[str, Any] = {}
    unexpected = []
    if inspect.Parameter.VAR_KEYWORD not in kinds:
        # A positional-only name given as a keyword is left to bind, which says exactly that.
        known = {p.name for p in parameters}
        unexpected = [key for key in kwargs if key not in known]
        filled = set(positional[:len(args)]) | set(kwargs)
        candidates = [p.name for p in parameters if p.name not in filled and p.kind in (
            inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)]
        for key in unexpected:
            close = difflib.get_close_matches(key, candidates, n=1)
            hint = " (did you mean %r?)" % close[0] if close else ""
            problems.append("unexpected keyword argument %r%s" % (key, hint))
        if unexpected:
            extra["unexpected"] = unexpected
    surplus = inspect.Parameter.VAR_POSITIONAL not in kinds and len(args) > len(positional)
    if surplus:
        problems.append("too many positional arguments: %d given, %s" % (
            len(args), "it takes at most %d" % len(positional) if positional else "it takes none"))
        extra["too_many_positional"] = {"given": len(args), "max": len(positional)}
    if not problems:
        return str(error), extra
    try:
        signature.bind(*(args[:len(positional)] if surplus else args),
                       **{key: value for key, value in kwargs.items() if key not in unexpected})
    except TypeError as rest:
        problems.append(str(rest))
    return "; ".join(problems), extra


def load_class(spec: str) -> type:
    """Imports ``package.module:Class`` (``Class`` may be dotted for nested classes)."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError("adapter must be given as package.module:Class, got %r" % spec)
    target = importlib.import_module(module_name)
    for part in attribute.split("."):
        target = getattr(target, part)
    if not isinstance(target, type):
        raise TypeError("%s is not a class" % spec)
    return target


def discover_tools(instance: Any) -> Dict[str, Tool]:
    """The instance's @tool methods by tool name, in definition order (base classes first)."""
    found = {}  # attribute name -> mark; a subclass's definition replaces its base's
    for klass in reversed(type(instance).__mro__):
        for attribute, raw in vars(klass).items():
            mark = getattr(getattr(raw, "__func__", raw), _MARK, None)
            if isinstance(mark, _ToolMark):
                found.pop(attribute, None)
                found[attribute] = mark
            elif attribute in found:
                found.pop(attribute)  # overridden without @tool: no longer a tool
    tools = {}
    for attribute, mark in found.items():
        name = mark.name or attribute
        if name in tools:
            raise ValueError("two tools are named %r in %s" % (name, type(instance).__qualname__))
        function = getattr(instance, attribute)
        doc = mark.description if mark.description is not None else inspect.getdoc(function)
        tools[name] = Tool(name, function, doc)
    return tools


def _describe_parameter(parameter: inspect.Parameter) -> Dict[str, Any]:
    kind = parameter.kind
    out = {"name": parameter.name, "kind": _PARAMETER_KINDS[kind],
           "required": parameter.default is parameter.empty and kind not in (
               parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD)}
    if parameter.default is not parameter.empty:
        if _is_protocol_value(parameter.default):
            out["default"] = parameter.default
        out["default_repr"] = _safe_repr(parameter.default)
    if parameter.annotation is not parameter.empty:
        out["annotation"] = annotation_text(parameter.annotation)
    return out


def annotation_text(annotation: Any) -> str:
    """An annotation as text: strings as written, classes by name, anything else by its repr."""
    if isinstance(annotation, str):
        return annotation
    generic_alias = getattr(types, "GenericAlias", ())
    if isinstance(annotation, type) and not isinstance(annotation, generic_alias):
        return annotation.__name__
    return _safe_repr(annotation).replace("typing.", "")


def _is_protocol_value(value: Any) -> bool:
    try:
        values.encode(value)
    except values.SerializationError:
        return False
    return True


def _safe_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:
        return "<unrepresentable %s>" % type(value).__qualname__


class ToolRunner:
    """Runs calls on an adapter instance, on the calling (main) thread."""

    def __init__(self, instance: Any) -> None:
        self.instance = instance
        self.tools = discover_tools(instance)
        execute = getattr(type(instance), "execute_tool", None)
        self._execute = getattr(instance, "execute_tool") if callable(execute) else None
        self._execute_is_async = inspect.iscoroutinefunction(self._execute)
        self.mode = "execute_tool" if self._execute is not None else "tools"
        self._loop = None  # the event loop of async tools, made on first use
        # asyncio costs tens of milliseconds of every worker's start: imported only for adapters with
        # async tools, and then now, so that their first call does not pay for it. Every path to
        # _run_async goes through one of these tools.
        self._asyncio = None
        if self._execute_is_async or any(t.is_async or inspect.isasyncgenfunction(t.function)
                                         for t in self.tools.values()):
            import asyncio
            self._asyncio = asyncio

    def describe_tools(self) -> List[Dict[str, Any]]:
        return [t.describe() for t in self.tools.values()]

    def call(self, name: str, args: list, kwargs: dict) -> Any:
        """Runs one call and returns its result; a generator's items come as a list (streams.py).

        Raises errors.InvalidCall for a call that cannot run; whatever the tool raises propagates (see
        errors.strip_runtime_frames).
        """
        result = self.start(name, args, kwargs)
        if type(result) in _GENERATORS:
            return streams.collect(result, self)
        return result

    def start(self, name: str, args: list, kwargs: dict) -> Any:
        """Runs one call and returns the tool's value as it is: a generator is returned unstarted."""
        if self._execute is not None:
            function = self._execute
            args, kwargs = (name, args, kwargs), {}
            is_async = self._execute_is_async
        else:
            found = self.tools.get(name)
            if found is None:
                raise errors.InvalidCall(errors.unknown_tool(name, list(self.tools)))
            try:
                found.check(args, kwargs)
            except TypeError as err:
                reason, extra = explain_mismatch(found.signature, args, kwargs, err)
                raise errors.InvalidCall(errors.bad_arguments(name, str(found.signature), reason, extra)) from None
            function = found.function
            is_async = found.is_async
        if is_async:
            return self._run_async(function(*args, **kwargs))
        return function(*args, **kwargs)

    def invoke(self, function: Callable, *args: Any) -> Any:
        """Runs a hook of the adapter (a function or a coroutine function) on this thread."""
        result = function(*args)
        if inspect.iscoroutine(result):
            return self.run_coroutine(result)
        return result

    def run_coroutine(self, coroutine: Any) -> Any:
        """Runs a coroutine to its end on the worker's event loop, on this thread."""
        if self._asyncio is None:
            import asyncio
            self._asyncio = asyncio
        return self._run_async(coroutine)

    def _run_async(self, coroutine: Any) -> Any:
        # One loop for the worker's life, so objects bound to the loop by an earlier call (client
        # sessions, connection pools) stay usable.
        loop = self._loop
        if loop is None:
            loop = self._loop = self._asyncio.new_event_loop()
            self._asyncio.set_event_loop(loop)
        task = loop.create_task(coroutine)
        try:
            return loop.run_until_complete(task)
        except BaseException:
            if not task.done():
                # Interrupted outside the task (a cancel landing in the loop's own code): stop it.
                task.cancel()
                try:
                    loop.run_until_complete(task)
                except BaseException:
                    pass
            raise

    def close(self) -> None:
        if self._loop is not None:
            self._asyncio.set_event_loop(None)
            self._loop.close()
            self._loop = None
