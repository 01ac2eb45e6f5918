"""A self-dispatching adapter: execute_tool receives every call, whatever its name."""
from typing import Any, Dict, List

from snakepit import tool


class SelfDispatching:
    @tool
    def declared(self, x: int) -> int:
        """Listed in the handshake; calls still go through execute_tool."""
        return x

    def execute_tool(self, name: str, args: List[Any], kwargs: Dict[str, Any]) -> Any:
        if name == "explode":
            raise RuntimeError("exploded on request")
        return {"tool": name, "args": args, "kwargs": kwargs}
