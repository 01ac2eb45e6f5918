"""Adapters: loading the user's class, discovering its tools, describing them and running calls on them.

An adapter is any class constructible without arguments. Its methods marked with ``@tool`` are its
tools; optional ``setup()`` and ``teardown()`` run at start and at SHUTDOWN, and the optional session
hooks when a session opens, closes or moves (sessions.py). A class that defines
``execute_tool(self, name, args, kwargs)`` receives every call itself (dispatch mode
``execute_tool``); its ``@tool`` methods are still listed in the handshake.

Arguments are bound to the tool's signature before the call, so "wrong arguments" (the caller's
fault, INVALID_REQUEST) is told apart from a TypeError raised inside the tool (PYTHON_EXCEPTION).

``@tool(concurrency=N)`` lets the worker run up to N plain calls of a tool at once, off the main thread
(concurrent.py): an async tool's as tasks of one event loop of their own (taskloop.py), a plain one's
on N threads of the tool's own. In dispatch mode ``execute_tool`` every call is serial.
"""
import importlib
import inspect
import types
from typing import Any, Callable, Dict, List, Optional

from . import errors, streams
from .signatures import describe_parameter, explain_mismatch, plain_parameters

_MARK = "__snakepit_tool__"
_GENERATORS = frozenset((types.GeneratorType, types.AsyncGeneratorType))

class _ToolMark:
    __slots__ = ("name", "description", "concurrency")

    def __init__(self, name: Optional[str], description: Optional[str], concurrency: int) -> None:
        self.name = name
        self.description = description
        self.concurrency = concurrency


def tool(function: Optional[Callable] = None, *, name: Optional[str] = None,
         description: Optional[str] = None, concurrency: int = 1) -> Any:
    """Marks an adapter method as a tool.

    Use as ``@tool`` or ``@tool(name="other", description="...", concurrency=4)``. The tool's name
    defaults to the method's name and its description to the method's docstring. ``concurrency``, an
    int of at least 1, is how many plain calls of the tool the worker may run at once: above 1 they run
    off the main thread, so the tool must be safe to run in parallel with itself and with the other
    tools, and it cannot call Java (snakepit.host). A generator function streams, and streamed tools
    run one call at a time.
    """
    if type(concurrency) is not int:  # bool is an int, and no concurrency
        raise TypeError("@tool concurrency must be an int of at least 1, not %r" % (concurrency,))
    if concurrency < 1:
        raise ValueError("@tool concurrency must be at least 1, got %d" % concurrency)

    def mark(fn: Any) -> Any:
        # staticmethod/classmethod objects: mark the function they wrap, which discovery inspects.
        target = getattr(fn, "__func__", fn)
        if not callable(target):
            raise TypeError("@tool applies to functions and methods, not %r" % (fn,))
        if concurrency > 1 and (inspect.isgeneratorfunction(target) or inspect.isasyncgenfunction(target)):
            raise ValueError("@tool(concurrency=%d) cannot mark %s: it is a generator function, and streamed tools "
                             "run one call at a time (concurrency 1)"
                             % (concurrency, getattr(target, "__qualname__", target)))
        setattr(target, _MARK, _ToolMark(name, description, concurrency))
        return fn

    if function is not None:
        return mark(function)
    return mark


class Adapter:
    """Optional base class of adapters; any class constructible without arguments works as well."""

    @classmethod
    def preload(cls) -> None:
        """Runs once per process, before the adapter is constructed: loads what every worker would
        load alike (a model, a table), kept on the class for ``setup()`` and the tools to read. Each
        worker runs it as it starts; it must not start threads or open connections, which a worker
        forked from a process that ran it would not inherit in a usable state (docs/adr/0007). Failure
        stops the start (FATAL stage ``preload``)."""

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

    __slots__ = ("name", "function", "signature", "bind", "is_async", "streams", "doc", "concurrency", "_plain")

    def __init__(self, name: str, function: Callable, doc: Optional[str], concurrency: int = 1) -> None:
        self.name = name
        self.function = function
        self.signature = inspect.signature(function)
        self.bind = self.signature.bind
        self.is_async = inspect.iscoroutinefunction(function)
        # A generator function: a plain call gets its items as a list, a streamed call one by one.
        self.streams = inspect.isgeneratorfunction(function) or inspect.isasyncgenfunction(function)
        self.doc = doc
        self.concurrency = concurrency
        self._plain = plain_parameters(self.signature)

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

    def require_fit(self, args: list, kwargs: dict) -> None:
        """Raises errors.InvalidCall, saying why, when the arguments do not fit the signature."""
        try:
            self.check(args, kwargs)
        except TypeError as err:
            reason, extra = explain_mismatch(self.signature, args, kwargs, err)
            raise errors.InvalidCall(errors.bad_arguments(self.name, str(self.signature), reason, extra)) from None

    def describe(self) -> Dict[str, Any]:
        return {"name": self.name, "doc": self.doc, "stream": self.streams, "concurrency": self.concurrency,
                "parameters": [describe_parameter(p) for p in self.signature.parameters.values()]}


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
        tools[name] = Tool(name, function, doc, mark.concurrency)
    return tools


class ToolRunner:
    """Runs calls on an adapter instance, on the calling thread: the main thread, or for a tool with
    concurrency > 1 one of the threads that run it concurrently (concurrent.py)."""

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
        # The tools whose plain calls the worker runs concurrently, by name; none with execute_tool.
        self.concurrent = {} if self._execute is not None else {
            name: t for name, t in self.tools.items() if t.concurrency > 1}
        self._tasks = None  # the event loop of async tools with concurrency > 1, started on first use

    def describe_tools(self) -> List[Dict[str, Any]]:
        if self._execute is not None:
            # execute_tool receives every call, one at a time: declared tools run serially too.
            return [dict(t.describe(), concurrency=1) for t in self.tools.values()]
        return [t.describe() for t in self.tools.values()]

    def concurrency_of(self, name: str) -> int:
        """How many calls of the tool ``name`` may run at once (1 for a name that is no such tool)."""
        found = self.concurrent.get(name)
        return 1 if found is None else found.concurrency

    def tasks(self) -> Any:
        """The event loop of async tools with concurrency > 1 (taskloop.py), started now if need be;
        main thread only."""
        if self._tasks is None:
            from .taskloop import TaskLoop
            self._tasks = TaskLoop()
        return self._tasks

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
            found = None
        else:
            found = self.tools.get(name)
            if found is None:
                raise errors.InvalidCall(errors.unknown_tool(name, list(self.tools)))
            found.require_fit(args, kwargs)
            function = found.function
            is_async = found.is_async
        if is_async:
            if found is None or found.concurrency == 1:
                return self._run_async(function(*args, **kwargs))
            # A tool with concurrency > 1 called serially: on the loop its concurrent calls run on, so
            # that what they bound to that loop serves this call too.
            return self.tasks().run(function(*args, **kwargs))
        return function(*args, **kwargs)

    def coroutine(self, found: Tool, args: list, kwargs: dict) -> Any:
        """The coroutine of a call of the async tool ``found``, not started; raises errors.InvalidCall
        when the arguments do not fit."""
        found.require_fit(args, kwargs)
        return found.function(*args, **kwargs)

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
        if self._tasks is not None:
            self._tasks.stop()
            self._tasks = None
        if self._loop is not None:
            self._asyncio.set_event_loop(None)
            self._loop.close()
            self._loop = None
