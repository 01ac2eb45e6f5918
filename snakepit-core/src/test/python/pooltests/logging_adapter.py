"""An adapter that logs through Python's logging module."""
import logging
import warnings

from snakepit import Adapter, tool


class LoggingAdapter(Adapter):
    @tool
    def log(self, level: str, logger: str, message: str) -> None:
        """Logs message at level ("DEBUG" ... "CRITICAL") to the named logger."""
        logging.getLogger(logger).log(logging.getLevelName(level), message)

    @tool
    def log_exception(self, logger: str) -> None:
        """Logs an ERROR record carrying a traceback."""
        try:
            raise KeyError("missing key")
        except KeyError:
            logging.getLogger(logger).exception("lookup failed")

    @tool
    def warn(self, message: str) -> None:
        """Issues a UserWarning, which the runtime routes through logging."""
        warnings.warn(message, UserWarning)
