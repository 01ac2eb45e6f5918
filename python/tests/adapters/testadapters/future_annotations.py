"""Tools whose annotations are strings, as under ``from __future__ import annotations``."""
from __future__ import annotations

from typing import Optional

from snakepit import tool


class Annotated:
    @tool
    def find(self, name: str, limit: Optional[int] = None) -> list[str]:
        return [name] * (limit or 1)
