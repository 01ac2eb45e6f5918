"""Tools that call the JVM back through snakepit.host, for the serve-loop tests of host calls."""
import time

from snakepit import Adapter, HostError, cancel, host, tool


class HostsAdapter(Adapter):
    @tool
    def ask(self, function: str, *args):
        return host.call(function, *args)

    @tool
    async def ask_async(self, function: str, *args):
        return await host.acall(function, *args)

    @tool
    def ask_catching(self, function: str) -> dict:
        try:
            host.call(function)
        except HostError as err:
            return {"kind": err.kind, "type": err.java_type, "message": err.message, "text": str(err)}
        return {}

    @tool
    def asking_stream(self, n: int):
        """Yields n items, asking the JVM for each."""
        for i in range(n):
            yield host.call("item", i)

    @tool
    def add(self, a: int, b: int) -> int:
        return a + b

    @tool
    def nap(self, seconds: float) -> float:
        time.sleep(seconds)
        return seconds

    @tool
    def await_kept_cancel(self, request_id: int, seconds: float) -> bool:
        """Whether, within ``seconds``, a cancel came for ``request_id``, a call waiting for a nested one:
        the cancel is kept for it, not injected."""
        switch = cancel.SWITCH
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            with switch._lock:
                if any(waiting[0] == request_id and waiting[3] for waiting in switch._waiting):
                    return True
            time.sleep(0.001)
        return False

    @tool
    def ask_from_a_thread(self) -> str:
        import threading
        failure = []
        thread = threading.Thread(target=lambda: _catch(failure), name="helper")
        thread.start()
        thread.join()
        return failure[0]


def _catch(failure):
    try:
        host.call("anything")
    except RuntimeError as err:
        failure.append(str(err))
