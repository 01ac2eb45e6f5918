"""The example's adapter: the tools the Spring Boot application calls in Python."""

from snakepit import Adapter, tool


class Calculator(Adapter):
    @tool
    def add(self, a: int, b: int) -> int:
        """Adds two integers."""
        return a + b
