"""The chaos settings: which misbehaviour the ``work`` tool shows, from which call on, and how hard.

They are read once, in ``ChaosAdapter.setup()``, so that a bad value fails the worker's start (a FATAL
frame of stage ``setup``) and the pool reports it then, instead of at some later call. A variable that
is unset or empty takes its default, as the runtime's own settings do; any other value must be valid
as written, nothing is rounded or clamped into range.

The variables start with CHAOS_, not SNAKEPIT_: a pool refuses to pass its workers variables named
SNAKEPIT_*, which belong to the runtime (PoolConfig.Builder.environment).
"""
import math
import os
from typing import Any, Mapping, NamedTuple, Optional

NO_MODE = "none"
# Fire at exactly work call number CHAOS_AT; none of them ever returns.
ONE_SHOT_MODES = ("crash", "exit", "segfault", "hang", "garbage")
# Apply to every work call from CHAOS_AT on.
REPEATED_MODES = ("leak", "slow", "hold_gil", "flood_stdout", "spawn_grandchildren")
MODES = (NO_MODE,) + ONE_SHOT_MODES + REPEATED_MODES

PREFIX = "CHAOS_"  # every variable read here starts with it
MODE_VARIABLE = "CHAOS_MODE"
MAX_EXIT_CODE = 255  # what a wait status can carry; os._exit(256) would read as 0


class ChaosSettings(NamedTuple):
    mode: str = NO_MODE
    at: int = 1
    exit_code: int = 3
    leak_mb: int = 100
    slow_step: float = 0.05
    gil_seconds: float = 1.0
    flood_mb: int = 10
    grandchildren: int = 2
    # The data socket's path (SNAKEPIT_SOCKET), kept for the garbage misbehaviour. Captured here
    # because setup() runs before the runtime connects, when the variable is surely still set.
    data_socket: Optional[str] = None

    def applies_to(self, work_call: int) -> bool:
        """Whether work call number ``work_call`` (from 1) misbehaves."""
        if self.mode in ONE_SHOT_MODES:
            return work_call == self.at
        return self.mode != NO_MODE and work_call >= self.at


# (field, variable, kind, minimum, maximum) of each numeric setting.
_NUMBERS = (
    ("at", "CHAOS_AT", int, 1, None),
    ("exit_code", "CHAOS_EXIT_CODE", int, 0, MAX_EXIT_CODE),
    ("leak_mb", "CHAOS_LEAK_MB", int, 0, None),
    ("slow_step", "CHAOS_SLOW_STEP", float, 0, None),
    ("gil_seconds", "CHAOS_GIL_SECONDS", float, 0, None),
    ("flood_mb", "CHAOS_FLOOD_MB", int, 0, None),
    ("grandchildren", "CHAOS_GRANDCHILDREN", int, 0, None),
)


def from_environment(environ: Mapping[str, str] = os.environ) -> ChaosSettings:
    """Reads the CHAOS_* variables; raises ValueError naming the first bad one."""
    mode = environ.get(MODE_VARIABLE) or NO_MODE
    if mode not in MODES:
        raise ValueError("%s=%r is not a chaos mode: it must be one of %s"
                         % (MODE_VARIABLE, mode, ", ".join(MODES)))
    numbers = {}
    for field, variable, kind, minimum, maximum in _NUMBERS:
        text = environ.get(variable)
        if text:
            numbers[field] = _parse(variable, text, kind, minimum, maximum)
    return ChaosSettings(mode=mode, data_socket=environ.get("SNAKEPIT_SOCKET"), **numbers)


def _parse(variable: str, text: str, kind: type, minimum: float, maximum: Optional[float]) -> Any:
    try:
        value = kind(text)
    except ValueError:
        raise ValueError("%s=%r is not %s: it must be %s" % (
            variable, text, "an integer" if kind is int else "a number",
            _rule(kind, minimum, maximum))) from None
    check_number(variable, value, kind, minimum, maximum)
    return value


def check_number(name: str, value: Any, kind: type, minimum: float, maximum: Optional[float] = None) -> None:
    """Raises ValueError unless ``value`` is a finite ``kind`` (an int passes for a float) within
    [minimum, maximum]; ``name`` is the variable or parameter the message names."""
    allowed = (int,) if kind is int else (int, float)
    valid = (type(value) in allowed and math.isfinite(value) and value >= minimum
             and (maximum is None or value <= maximum))
    if not valid:
        raise ValueError("%s=%r is not allowed: it must be %s" % (name, value, _rule(kind, minimum, maximum)))


def _rule(kind: type, minimum: float, maximum: Optional[float]) -> str:
    what = "an integer" if kind is int else "a finite number of seconds"
    if maximum is None:
        return "%s of at least %s" % (what, minimum)
    return "%s from %s to %s" % (what, minimum, maximum)
