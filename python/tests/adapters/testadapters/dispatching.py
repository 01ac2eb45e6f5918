"""A self-dispatching adapter: every call goes to execute_tool."""
from snakepit import tool


class Dispatching:
    @tool
    def declared(self, x: int) -> int:
        """Declared for the handshake; calls still go through execute_tool."""
        return x

    def execute_tool(self, name, args, kwargs):
        return {"name": name, "args": args, "kwargs": kwargs}
