"""Batches (docs/protocol.md, section 4.15): one CALL that runs a tool once per item, in order, and
answers with every item's result or error in one RESULT.

The items run on the main thread, one after the other, as the call's one piece of work: the call's
deadline and a cancel cover the whole batch. An item's failure is that item's alone; the rest run.
"""
from typing import Any, Dict, List, Optional, Tuple

from . import errors, values
from .cancel import CallCancelled
from .errors import InvalidCall, strip_runtime_frames

# The most items one CALL may carry; the JVM in this repository sends at most 1,024.
MAX_ITEMS = 65536
# Bytes of a RESULT frame kept back, when the results do not all fit, for its framing and the errors
# that say which results were left out.
_RESERVE = 4096
_RESERVE_PER_ITEM = 512


def parse(message: Dict[str, Any]) -> Optional[List[Dict[str, Any]]]:
    """The items of a decoded CALL body (each a dict of keyword arguments), or None for a plain call;
    raises InvalidCall for a ``batch`` field that breaks the rules."""
    items = message.get("batch")
    if items is None:
        return None
    tool = message.get("tool")
    if type(items) is not list or not 1 <= len(items) <= MAX_ITEMS:
        raise InvalidCall(errors.invalid_request(
            "CALL \"batch\" is invalid: it must be a list of 1 to %d items" % MAX_ITEMS, {"tool": tool}))
    for index, item in enumerate(items):
        if type(item) is not dict:
            raise InvalidCall(errors.invalid_request(
                "CALL \"batch\"[%d] is invalid: an item must be an object of keyword arguments, not %s"
                % (index, type(item).__name__), {"tool": tool, "item": index}))
    if "stream" in message:
        raise InvalidCall(errors.invalid_request(
            "a CALL may not be both a batch and a stream", {"tool": tool}))
    return items


class Batch:
    """The outcome of a batch: a result per item (None for an item that failed) and the errors."""

    __slots__ = ("results", "failed")

    def __init__(self, results: List[Any], failed: List[List[Any]]) -> None:
        self.results = results
        self.failed = failed

    def value(self) -> Dict[str, Any]:
        """The RESULT value of section 4.15."""
        if self.failed:
            return {"results": self.results, "errors": self.failed}
        return {"results": self.results}


def run(runner: Any, name: str, args: list, common: dict, items: List[Dict[str, Any]]) -> Batch:
    """Runs ``name`` once per item, in order, with ``common`` keyword arguments under each item's own.

    A cancel (CallCancelled) ends the whole batch; any other exception is its item's error."""
    call = runner.call
    results: List[Any] = [None] * len(items)
    failed: List[List[Any]] = []
    for index, item in enumerate(items):
        if common:
            kwargs = dict(common)
            kwargs.update(item)
        else:
            kwargs = item
        try:
            results[index] = call(name, args, kwargs)
        except InvalidCall as invalid:
            failed.append([index, invalid.body])
        except CallCancelled:
            raise
        except BaseException as exc:  # SystemExit and KeyboardInterrupt in a tool are its errors
            strip_runtime_frames(exc)
            failed.append([index, errors.raised(exc)])
    return Batch(results, failed)


def encode_fitted(batch: Batch, name: str, max_frame_bytes: int) -> Tuple[bytes, List[Any], int]:
    """Encodes the RESULT body of a batch whose value as a whole could not be sent.

    Encodes each result alone: one that cannot be encoded becomes its item's SERIALIZATION_ERROR. Then
    keeps results and errors, in item order, while they fit in the frame; each left out becomes a
    short SERIALIZATION_ERROR saying that its item ran but its result did not fit."""
    sizes: Dict[int, int] = {}
    errors_of = {index: body for index, body in batch.failed}
    for index, result in enumerate(batch.results):
        if index in errors_of:
            continue
        try:
            body, attachments, _ = values.encode(result, "$.value.results[%d]" % index)
        except values.SerializationError as err:
            errors_of[index] = errors.serialization_error(
                "the result of item %d of the batch of '%s' cannot be serialized: %s" % (index, name, err),
                err.details())
            continue
        sizes[index] = len(body) + sum(memoryview(a).nbytes for a in attachments) + 16
    budget = max_frame_bytes - _RESERVE - _RESERVE_PER_ITEM * len(batch.results)
    results: List[Any] = [None] * len(batch.results)
    failed: List[List[Any]] = []
    for index in range(len(batch.results)):
        error = errors_of.get(index)
        if error is None:
            size = sizes[index]
            if size <= budget:
                budget -= size
                results[index] = batch.results[index]
                continue
            error = errors.serialization_error(
                "item %d of the batch of '%s' ran, but its result (%d bytes) did not fit in the batch's"
                " answer of at most %d bytes; send fewer or smaller items per batch"
                % (index, name, size, max_frame_bytes), {"size": size, "max_frame_bytes": max_frame_bytes})
        else:
            size = len(values.encode(error)[0])
            if size <= budget:
                budget -= size
            else:
                error = errors.shortened(error)
        failed.append([index, error])
    return values.encode_result(Batch(results, failed).value())
