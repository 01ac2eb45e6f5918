"""The event loop of async tools with concurrency > 1 (snakepit/taskloop.py): a thread of its own that
serial callers wait on, whose tasks a cancel landing in the waiting thread stops."""
import asyncio
import threading
import traceback

import pytest

import harness
from snakepit import cancel, calls
from snakepit.cancel import CallCancelled, CallSwitch
from snakepit.taskloop import TaskLoop

needs_async_exc = pytest.mark.skipif(cancel._set_async_exc is None, reason="needs PyThreadState_SetAsyncExc")


@pytest.fixture
def tasks():
    made = TaskLoop()
    yield made
    made.stop()
    assert not made._thread.is_alive()


def test_a_coroutine_runs_on_the_loops_thread_and_its_value_comes_back(tasks):
    async def where():
        await asyncio.sleep(0)
        return threading.current_thread().name, asyncio.get_running_loop()

    assert tasks.run(where()) == ("snakepit-async", tasks.loop)


def test_what_a_coroutine_raises_is_raised_to_the_caller_and_the_loop_goes_on(tasks):
    async def fail(exc):
        raise exc

    for exc in (ValueError("bad"), KeyboardInterrupt(), SystemExit(3)):
        with pytest.raises(type(exc)) as raised:
            tasks.run(fail(exc))
        assert raised.value is exc
    assert tasks.run(asyncio.sleep(0, "still running")) == "still running"


class Waiter(threading.Thread):
    """Waits, as call 9 under a switch aimed at this thread, for a coroutine on the loop."""

    def __init__(self, tasks: TaskLoop, coroutine) -> None:
        super().__init__(daemon=True)
        self.tasks = tasks
        self.coroutine = coroutine
        self.switch = None
        self.outcome = None
        self.ready = threading.Event()

    def run(self) -> None:
        self.switch = CallSwitch(thread_id=threading.get_ident())
        self.ready.set()
        self.outcome = calls.run_call(self.switch, 9, "hang", None, self.tasks.run, self.coroutine)


@needs_async_exc
def test_a_cancel_landing_in_the_waiting_thread_cancels_the_task(tasks):
    entered = threading.Event()
    cleaned = threading.Event()

    async def hang():
        entered.set()
        try:
            await asyncio.Event().wait()
        finally:
            cleaned.set()

    waiter = Waiter(tasks, hang())
    waiter.start()
    assert waiter.ready.wait(harness.TIMEOUT) and entered.wait(harness.TIMEOUT)
    assert waiter.switch.cancel(9) is True
    waiter.join(harness.TIMEOUT)
    assert type(waiter.outcome) is calls.Cancelled and type(waiter.outcome.exception) is CallCancelled
    assert cleaned.is_set(), "the task ended before the call was answered"
    # The traceback is the task's: it shows where the tool waited.
    assert "in hang" in "".join(traceback.format_tb(waiter.outcome.exception.__traceback__))


@needs_async_exc
def test_a_tool_that_catches_the_cancel_answers_its_value(tasks):
    entered = threading.Event()

    async def swallow():
        entered.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            return "swallowed"

    waiter = Waiter(tasks, swallow())
    waiter.start()
    assert waiter.ready.wait(harness.TIMEOUT) and entered.wait(harness.TIMEOUT)
    waiter.switch.cancel(9)
    waiter.join(harness.TIMEOUT)
    assert waiter.outcome == "swallowed"


def test_stop_cancels_the_tasks_left_and_ends_the_thread():
    tasks = TaskLoop()
    ended = threading.Event()

    async def forever():
        try:
            await asyncio.Event().wait()
        finally:
            ended.set()

    async def leave():
        asyncio.get_running_loop().create_task(forever())
        await asyncio.sleep(0)

    tasks.run(leave())
    tasks.stop()
    assert ended.is_set() and not tasks._thread.is_alive() and tasks.loop.is_closed()
    tasks.stop()  # idempotent
