"""Reads the worker's integer settings from its environment (docs/protocol.md, section 1), refusing a
bad value with a message that names the variable, the value and the rule."""
import os


class SettingError(ValueError):
    """A setting that breaks its rule; the message names the variable, its value and the rule."""


def int_setting(name: str, default: int, minimum: int) -> int:
    """The integer in variable ``name``, or ``default`` when it is unset or blank."""
    text = os.environ.get(name)
    if text is None or not text.strip():
        return default
    try:
        value = int(text)
    except ValueError:
        raise SettingError("%s=%r is not an integer" % (name, text)) from None
    if value < minimum:
        raise SettingError("%s=%d is below the minimum of %d" % (name, value, minimum))
    return value
