"""A module that cannot be imported."""
import snakepit_no_such_module  # noqa: F401
