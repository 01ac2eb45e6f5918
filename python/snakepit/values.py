"""Value codec: Python values <-> JSON bodies with bytes attachments (docs/protocol.md, section 3).

Encoding first walks the value once to refuse anything outside the protocol's types, naming the path
of the offender, and to notice whether any bytes or tag-lookalike maps are present. The walk checks the
set of element types of each container in C (``set(map(type, ...))``) and only descends into
containers, so a list of a million floats costs one C pass. A long list of containers (a million
records) is first checked a level at a time, every element of a level in one C pass (``_plain``);
only when that finds something to look at closely does the element-by-element walk run. When
nothing needs rewriting, the value goes straight to the C JSON encoder; otherwise a copy is built with
bytes replaced by ``{"$b": i}`` tags (or, large ones in a frame to the JVM, ``$shm`` tags of files:
shm.py) and lookalike keys escaped, and the frame is flagged TAGGED.

Integers have at most MAX_INT_DIGITS decimal digits, both ways. With the interpreter's default digit
limit (``sys.get_int_max_str_digits()``, 4300 too) the C encoder and decoder enforce it at no cost, and
only a refused value takes a slow path that finds its path. A Python with another limit, or none
(before 3.9.14 and 3.10.7), refuses too much or too little, so the protocol's limit is then enforced
here, independently of the setting: a scan for a run of more digits than allowed before decoding and
after encoding, and a slow path that converts long integers itself through ``decimal``, whose
conversions the setting does not limit.
"""
import json
import os
import re
import sys
from itertools import chain, repeat
from typing import Any, List, Optional, Sequence, Tuple

from . import arrays, shm, tables
from .protocol import TAGGED, FrameTooLarge, frame_size

MAX_DEPTH = 500
# The most decimal digits an integer may have on the wire, the sign not counted: the protocol's limit,
# the same in Java (docs/protocol.md, section 3.1), whatever the interpreter's own setting.
MAX_INT_DIGITS = 4300

_SCALARS = frozenset((type(None), bool, int, float, str))
_CONTAINERS = frozenset((list, tuple, dict))
_PLAIN = _SCALARS | _CONTAINERS
# Lists of containers at least this long are checked level by level first (_plain).
_BULK = 64
# _plain gives up (and leaves the value to the walk) beyond this many elements: the walk copes with
# any size, and a value that refers to itself cannot make _plain build ever larger levels.
_PLAIN_BUDGET = 1 << 24
_BYTES_TYPES = (bytes, bytearray, memoryview)
_STR_ONLY = frozenset((str,))
# "$b", "$$b", "$nd", "$$nd", ...: single-member maps with such a key would read as tags, so they
# are escaped.
_LOOKALIKE = re.compile(r"\$+(?:b|nd|arrow|shm)").fullmatch
_ARRAY_TAG = "$nd"

# check_circular=False: the depth limit of the walk already stops reference cycles.
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=True, check_circular=False)
_encode_json = _ENCODER.encode
_decode_json = json.JSONDecoder().decode
# The decoder's C scanner on its own: a body that is one JSON value with no surrounding whitespace (all
# the JVM sends) is read without the decoder's two regular-expression matches. Anything else, errors
# included, goes through the full decoder.
_scan_json = json.JSONDecoder().scan_once

# The interpreter's own digit limit for int <-> str conversions; 0 means none. Users may change it
# at any time, so it is read on each use.
_interpreter_int_digits = getattr(sys, "get_int_max_str_digits", lambda: 0)
# Any run of more digits than allowed, found in C: digits become b"0", everything else b" ".
_DIGITS_TO_ZERO = bytes(0x30 if 0x30 <= b <= 0x39 else 0x20 for b in range(256))
_TOO_MANY_DIGITS = b"0" * (MAX_INT_DIGITS + 1)
# Integers of up to this many digits convert under any limit the interpreter can be set to (the
# lowest is 640, sys.int_info.str_digits_check_threshold); those of up to 1993 bits have at most 600.
_SAFE_DIGITS = 600
_SAFE_BITS = 1993


class SerializationError(Exception):
    """A value cannot cross the wire.

    ``path`` is a JSONPath-like location (``$.value.items[2]``) and ``type_name`` the offending type,
    when known; ``reason`` classifies decoding failures (``bad_tag``, ``bad_json``, ``bad_utf8``).
    """

    def __init__(self, message: str, path: Optional[str] = None, type_name: Optional[str] = None,
                 reason: Optional[str] = None) -> None:
        super().__init__(message)
        self.path = path
        self.type_name = type_name
        self.reason = reason

    def details(self) -> dict:
        out = {}
        if self.path is not None:
            out["path"] = self.path
        if self.type_name is not None:
            out["type"] = self.type_name
        if self.reason is not None:
            out["reason"] = self.reason
        return out


class _Reject(Exception):
    """Raised at the offending value; each container level on the way up adds its path step."""

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(message)
        self.type_name = type_name
        self.message = message
        self.steps = []  # innermost first


# ---------------------------------------------------------------------------------------- encoding

def encode(value: Any, root: str = "$", max_frame_bytes: Optional[int] = None) -> Tuple[bytes, List[Any], int]:
    """Encodes a value as (JSON body, attachments, flags). Raises SerializationError.

    With ``max_frame_bytes`` (a frame the worker sends to the JVM) and shared memory on (shm.py),
    attachments of at least the threshold become files in the pool's directory instead; they are
    written once the whole, files counted, is known to fit ``max_frame_bytes`` (else FrameTooLarge),
    and a file that cannot be written raises shm.SharedMemoryError, leaving none behind.
    """
    if max_frame_bytes is None or not shm.enabled():
        return _encode(value, root, None)
    outgoing = shm.Outgoing()
    body, attachments, flags = _encode(value, root, outgoing)
    if outgoing.pending:
        sizes = [a.nbytes if type(a) is memoryview else len(a) for a in attachments]
        size = frame_size(len(body), sizes) + outgoing.size
        if size > max_frame_bytes:
            raise FrameTooLarge(size, max_frame_bytes)
        outgoing.write()
    return body, attachments, flags


def _encode(value: Any, root: str, outgoing: Optional[shm.Outgoing]) -> Tuple[bytes, List[Any], int]:
    try:
        needs_rewrite = _scan(value, 0)
    except RecursionError:
        # The stack was already deep when encode() was called, or the recursion limit was lowered.
        raise SerializationError("%s: value nested too deeply for this interpreter's recursion limit"
                                 % root, root, "nesting") from None
    except _Reject as reject:
        path = _format_path(root, reject.steps)
        raise SerializationError("%s: %s" % (path, reject.message), path, reject.type_name) from None
    attachments = []
    if needs_rewrite:
        try:
            value = _rewrite(value, attachments, outgoing)
        except tables.TableError as err:
            raise SerializationError("%s: %s" % (root, err), root) from None
    try:
        text = _encode_json(value)
    except RecursionError:
        raise SerializationError("%s: value nested too deeply for this interpreter's recursion limit"
                                 % root, root, "nesting") from None
    except ValueError:
        # An int longer than the interpreter's own digit limit, which the C encoder cannot print.
        return _encode_long_ints(value, root), attachments, (TAGGED if needs_rewrite else 0)
    body = text.encode("ascii")
    if len(body) > MAX_INT_DIGITS and _unrefused_digit_run(body):  # no call for short bodies
        # A run of too many digits: an int, or perhaps only a string full of digits.
        body = _encode_long_ints(value, root)
    return body, attachments, (TAGGED if needs_rewrite else 0)


_NULL_RESULT = b'{"value":null}'


def encode_result(value: Any, max_frame_bytes: Optional[int] = None) -> Tuple[bytes, List[Any], int]:
    """Encodes the body of a RESULT frame, ``{"value": value}``; paths start at ``$.value``. See
    ``encode`` for ``max_frame_bytes``."""
    if value is None:
        return _NULL_RESULT, [], 0
    body, attachments, flags = encode(value, "$.value", max_frame_bytes)
    return b'{"value":' + body + b"}", attachments, flags


def _scan(value: Any, depth: int) -> bool:
    """Validates a value; returns True when it holds bytes or lookalike keys (needs a rewrite).

    One Python frame per nesting level: the depth limit must be reachable within the interpreter's
    recursion limit.
    """
    t = type(value)
    if t in _SCALARS:
        return False
    if t is list or t is tuple:
        if depth >= MAX_DEPTH:
            raise _too_deep()
        if set(map(type, value)) <= _SCALARS:
            return False
        if len(value) >= _BULK and _plain(value, MAX_DEPTH - depth):
            return False
        found = False
        for index, item in enumerate(value):
            if type(item) in _SCALARS:
                continue
            try:
                found = _scan(item, depth + 1) or found
            except _Reject as reject:
                reject.steps.append(index)
                raise
        return found
    if t is dict:
        if depth >= MAX_DEPTH:
            raise _too_deep()
        if not set(map(type, value)) <= _STR_ONLY:
            for key in value:
                if not isinstance(key, str):
                    raise _Reject(_type_name(key), "map key %s of type %s is not a str"
                                  % (_short_repr(key), _type_name(key)))
        found = len(value) == 1 and _LOOKALIKE(next(iter(value))) is not None
        if set(map(type, value.values())) <= _SCALARS:
            return found
        for key, item in value.items():
            if type(item) in _SCALARS:
                continue
            try:
                found = _scan(item, depth + 1) or found
            except _Reject as reject:
                reject.steps.append(key)
                raise
        return found
    return _scan_other(value, depth)


def _plain(value: Any, levels: int) -> bool:
    """True when the value surely needs no rewrite: made of exact scalars, lists, tuples and dicts
    only, every key a str not starting with "$", containers only on levels 0 to ``levels`` - 1 (the
    value itself is on level 0, the walk's depth limit counted from there). False when unsure: the
    walk then decides, and finds the path of any offender.

    Each level's elements are gathered and classified by C iteration (chain, filter, map with C
    callables), with no Python bytecode per element.
    """
    level = [value]
    seen = 0
    for _ in range(levels):
        kinds = set(map(type, level))
        if not kinds <= _PLAIN:
            return False
        if kinds <= _SCALARS:
            return True
        dicts = list(filter(dict.__instancecheck__, level)) if dict in kinds else ()
        lists = list(filter(list.__instancecheck__, level)) if list in kinds else ()
        tuples = list(filter(tuple.__instancecheck__, level)) if tuple in kinds else ()
        seen += sum(map(len, dicts)) + sum(map(len, lists)) + sum(map(len, tuples))
        if seen > _PLAIN_BUDGET:
            return False
        if dicts:
            keys = list(chain.from_iterable(dicts))
            if not set(map(type, keys)) <= _STR_ONLY or any(map(str.startswith, keys, repeat("$"))):
                return False
        level = list(chain(chain.from_iterable(map(dict.values, dicts)), chain.from_iterable(lists),
                           chain.from_iterable(tuples)))
    # Containers remain below the last level allowed: the walk reports the depth.
    return not level or set(map(type, level)) <= _SCALARS


def _scan_other(value: Any, depth: int) -> bool:
    # Subclasses: int, float and str subclasses (IntEnum, numpy.float64, ...) encode as their base
    # value; list, tuple and dict subclasses (namedtuple, OrderedDict) as their base container.
    if tables.is_table(value):
        try:
            tables.check(value)
        except tables.TableError as err:
            raise _Reject(_type_name(value), str(err)) from None
        return True
    if arrays.is_array(value):
        try:
            arrays.refuse(value)
        except arrays.ArrayError as err:
            raise _Reject(_type_name(value), str(err)) from None
        return True
    if isinstance(value, _BYTES_TYPES):
        return True
    if isinstance(value, (int, float, str)):
        return False
    if arrays.numpy_scalar(value) is not None:
        return True  # numpy.int64, numpy.bool_, numpy.float32, ...: rewritten as int, bool, float
    if isinstance(value, (list, tuple)):
        return _scan(list(value), depth)
    if isinstance(value, dict):
        return _scan(dict(value), depth)
    raise _Reject(_type_name(value), "cannot serialize a value of type %s%s"
                  % (_type_name(value), _hint(value)))


def _rewrite(value: Any, attachments: List[Any], outgoing: Optional[shm.Outgoing] = None) -> Any:
    """A copy of a validated value with bytes as tags (collected in order, or named in ``outgoing``
    when they go through shared memory) and lookalikes escaped."""
    if type(value) in _SCALARS:
        return value
    if tables.is_table(value):
        return {tables.TAG: _attach(tables.encode(value), attachments, outgoing)}
    if arrays.is_array(value):
        fields, data = arrays.describe(value)
        fields["data"] = _attach(data, attachments, outgoing)
        return {_ARRAY_TAG: fields}
    if isinstance(value, _BYTES_TYPES):
        return _attach(_as_attachment(value), attachments, outgoing)
    if isinstance(value, dict):
        if len(value) == 1:
            key, item = next(iter(value.items()))
            if _LOOKALIKE(key):
                return {"$" + key: _rewrite(item, attachments, outgoing)}
        return {key: _rewrite(item, attachments, outgoing) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        if set(map(type, value)) <= _SCALARS:
            return value
        return [_rewrite(item, attachments, outgoing) for item in value]
    scalar = arrays.numpy_scalar(value)
    return value if scalar is None else scalar  # an int, float or str subclass, or a numpy scalar


def _attach(data: Any, attachments: List[Any], outgoing: Optional[shm.Outgoing]) -> dict:
    """The tag of one buffer: a ``$shm`` tag when ``outgoing`` takes it, else ``{"$b": i}``."""
    if outgoing is not None:
        tag = outgoing.take(data)
        if tag is not None:
            return tag
    attachments.append(data)
    return {"$b": len(attachments) - 1}


def _as_attachment(value: Any) -> Any:
    if type(value) is memoryview:
        # A flat view of bytes ("B", "b" or "c") is sent without copying; a strided one is copied to
        # be contiguous. Typed and multi-dimensional views are arrays.
        if value.c_contiguous:
            return value if value.format == "B" else value.cast("B")
        return value.tobytes()
    return value


def _too_deep() -> _Reject:
    return _Reject("nesting", "value nested deeper than %d levels (or a reference cycle)" % MAX_DEPTH)


def _type_name(value: Any) -> str:
    t = type(value)
    if t.__module__ == "builtins":
        return t.__qualname__
    return "%s.%s" % (t.__module__, t.__qualname__)


def _hint(value: Any) -> str:
    if isinstance(value, (set, frozenset)):
        return "; convert it to a list"
    has_item = callable(getattr(value, "item", None))
    if has_item and callable(getattr(value, "tolist", None)):
        # numpy scalars and arrays have both.
        return "; convert it with .item() (a scalar) or .tolist() (an array)"
    if has_item:
        return "; convert it with .item()"
    return ""


def _short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:
        return "<unrepresentable>"
    return text if len(text) <= 60 else text[:57] + "..."


def _format_path(root: str, steps: Sequence[Any]) -> str:
    parts = [root]
    for step in reversed(steps):
        if isinstance(step, int):
            parts.append("[%d]" % step)
        elif step.isidentifier():
            parts.append("." + step)
        else:
            parts.append("[%s]" % json.dumps(step))
    return "".join(parts)


# ---------------------------------------------------------------------------------------- integers

def _unrefused_digit_run(text: bytes) -> bool:
    """Whether the text holds a run of more digits than an integer may have, which the interpreter's
    own limit let through (it is higher than the protocol's, or there is none). Two passes in C, and
    none under a limit that refuses such integers itself."""
    limit = _interpreter_int_digits()
    if 0 < limit <= MAX_INT_DIGITS:
        return False
    return text.translate(_DIGITS_TO_ZERO).find(_TOO_MANY_DIGITS) >= 0


def _too_many_digits(digits: int) -> str:
    return ("integer of %d digits is longer than the protocol allows (at most %d digits, the sign "
            "not counted)" % (digits, MAX_INT_DIGITS))


def _digit_count(value: int) -> int:
    """The decimal digits of an integer, the sign not counted, without converting it to text."""
    magnitude = abs(int(value))
    # 2 ** (bits - 1) <= magnitude < 2 ** bits: the estimate is off by one at most; checked exactly.
    digits = max(1, int((magnitude.bit_length() - 1) * 0.30102999566398120) + 1)
    while magnitude >= 10 ** digits:
        digits += 1
    while digits > 1 and magnitude < 10 ** (digits - 1):
        digits -= 1
    return digits


def _int_text(value: int) -> str:
    """The decimal text of an integer, whatever the interpreter's digit limit: decimal has none."""
    import decimal  # only here: a long integer is rare, and the import costs milliseconds
    return str(decimal.Decimal(int(value)))


def _parse_long_int(literal: str) -> int:
    """The integer of a decimal literal, whatever the interpreter's digit limit."""
    import decimal
    return int(decimal.Decimal(literal))


def _encode_long_ints(value: Any, root: str) -> bytes:
    """Encodes a value whose integers the C encoder cannot be left to print: each long one goes in
    as a placeholder string, then its digits replace the placeholder in the text. Refuses an integer
    of more than MAX_INT_DIGITS digits, naming its path. Placeholders hold a random mark; should a
    string of the value hold the mark too, another is drawn."""
    while True:
        mark = "snakepit-int-%s-" % os.urandom(8).hex()
        texts = []
        try:
            marked = _mark_long_ints(value, mark, texts)
        except _Reject as reject:
            path = _format_path(root, reject.steps)
            raise SerializationError("%s: %s" % (path, reject.message), path, reject.type_name) from None
        text = _encode_json(marked)
        if text.count(mark) == len(texts):
            placeholder = re.compile('"%s([0-9]+)"' % re.escape(mark))
            return placeholder.sub(lambda match: texts[int(match.group(1))], text).encode("ascii")


def _mark_long_ints(value: Any, mark: str, texts: List[str]) -> Any:
    """A copy of an encodable value with each integer too long for any interpreter limit replaced
    by ``mark`` + its index in ``texts``, which receives its digits."""
    if isinstance(value, int):
        if value.bit_length() <= _SAFE_BITS:
            return value
        digits = _digit_count(value)
        if digits > MAX_INT_DIGITS:
            raise _Reject(_type_name(value), _too_many_digits(digits))
        texts.append(_int_text(value))
        return "%s%d" % (mark, len(texts) - 1)
    if isinstance(value, dict):
        copy = {}
        for key, item in value.items():
            try:
                copy[key] = _mark_long_ints(item, mark, texts)
            except _Reject as reject:
                reject.steps.append(key)
                raise
        return copy
    if isinstance(value, (list, tuple)):
        copy = []
        for index, item in enumerate(value):
            try:
                copy.append(_mark_long_ints(item, mark, texts))
            except _Reject as reject:
                reject.steps.append(index)
                raise
        return copy
    return value


class _LongLiteral:
    """Stands for an integer literal with too many digits while a body is decoded; its path is
    looked up afterwards."""

    def __init__(self, digits: int) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return "<integer of %d digits>" % self.digits


def _decode_long_ints(text: str, attachments: Sequence[bytes], flags: int) -> Any:
    """Decodes a body whose integers the C decoder cannot be left to read, and refuses an integer
    of more than MAX_INT_DIGITS digits, naming its path."""
    too_long = []

    def parse_int(literal: str) -> Any:
        digits = len(literal) - (literal[0] == "-")
        if digits > MAX_INT_DIGITS:
            too_long.append(_LongLiteral(digits))
            return too_long[-1]
        return int(literal) if digits <= _SAFE_DIGITS else _parse_long_int(literal)

    if flags & TAGGED:
        value = _decode_tagged(text, attachments, parse_int)
    else:
        value = json.JSONDecoder(parse_int=parse_int).decode(text)
    if too_long:
        path = _path_of(value, too_long[0])
        raise SerializationError("%s: %s" % (path, _too_many_digits(too_long[0].digits)), path, "int")
    return value


def _path_of(value: Any, target: Any) -> str:
    """The path of an object inside a decoded value; used on failure only."""
    stack = [(value, [])]
    while stack:
        item, steps = stack.pop()
        if item is target:
            return _format_path("$", steps)
        if isinstance(item, dict):
            stack.extend((v, [k] + steps) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, [i] + steps) for i, v in enumerate(item))
    return "$"


# ---------------------------------------------------------------------------------------- decoding

def decode(body: bytes, attachments: Sequence[bytes] = (), flags: int = 0) -> Any:
    """Decodes a frame body; an empty body is None. Raises SerializationError."""
    if not body:
        return None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise SerializationError("body is not valid UTF-8: %s" % err, reason="bad_utf8") from None
    if attachments and not flags & TAGGED:
        # Every attachment is referenced by exactly one tag, and tags need TAGGED.
        raise SerializationError("%d attachment(s) on a frame without the TAGGED flag" % len(attachments),
                                 reason="bad_tag")
    try:
        if len(body) > MAX_INT_DIGITS and _unrefused_digit_run(body):
            return _decode_long_ints(text, attachments, flags)
        try:
            return _decode_text(text, attachments, flags)
        except json.JSONDecodeError:
            raise
        except ValueError:
            # An int longer than the interpreter's own digit limit, which the C decoder cannot read.
            return _decode_long_ints(text, attachments, flags)
    except SerializationError:
        raise
    except RecursionError:
        raise SerializationError("body is nested too deeply to decode", reason="bad_json") from None
    except ValueError as err:
        raise SerializationError("body is not valid JSON: %s" % err, reason="bad_json") from None


def _decode_text(text: str, attachments: Sequence[bytes], flags: int) -> Any:
    if flags & TAGGED:
        return _decode_tagged(text, attachments)
    try:
        value, end = _scan_json(text, 0)
        if end == len(text):
            return value
    except StopIteration:
        pass
    return _decode_json(text)


def _decode_tagged(text: str, attachments: Sequence[bytes], parse_int: Optional[Any] = None) -> Any:
    incoming = shm.Incoming()
    try:
        value = _decode_tags(text, attachments, parse_int, incoming)
        # A file left unmapped is a plain bytes value: copied, so that it arrives as bytes.
        return _read_segments(value) if any(s.fd >= 0 for s in incoming.segments) else value
    except shm.SegmentError as err:
        raise SerializationError(str(err), reason="bad_tag") from None
    finally:
        incoming.close()


def _decode_tags(text: str, attachments: Sequence[bytes], parse_int: Optional[Any],
                 incoming: shm.Incoming) -> Any:
    count = len(attachments)
    used = [False] * count

    def resolve(pairs: List[Tuple[str, Any]]) -> Any:
        # object_pairs_hook sees duplicate keys too, so "exactly one member" is judged on the text.
        if len(pairs) != 1:
            return dict(pairs)
        key, item = pairs[0]
        if key == "$b":
            if type(item) is not int or not 0 <= item < count:
                raise SerializationError("bytes tag %s does not name one of the %d attachments"
                                         % (_short_repr(item), count), reason="bad_tag")
            if used[item]:
                raise SerializationError("attachment %d is referenced twice" % item, reason="bad_tag")
            used[item] = True
            return attachments[item]
        if key == shm.TAG:
            return incoming.take(item)  # an array or table maps it below; anything else reads it
        if key == _ARRAY_TAG:
            if type(item) is dict and type(item.get("data")) is shm.Segment:
                item["data"] = item["data"].view()
            try:
                return arrays.receive(item)
            except arrays.ArrayError as err:
                raise SerializationError(str(err), reason="bad_tag") from None
        if key == tables.TAG:
            if type(item) is shm.Segment:
                item = item.view()
            try:
                return tables.receive(item)
            except tables.TableError as err:
                raise SerializationError(str(err), reason="bad_tag") from None
        if key[:2] == "$$" and _LOOKALIKE(key):
            return {key[1:]: item}
        return {key: item}

    value = json.JSONDecoder(object_pairs_hook=resolve, parse_int=parse_int).decode(text)
    if not all(used):
        raise SerializationError("attachment %d is not referenced by the body" % used.index(False),
                                 reason="bad_tag")
    return value


def _read_segments(value: Any) -> Any:
    """The decoded value with each shm.Segment left in it replaced by the file's bytes."""
    if type(value) is shm.Segment:
        return value.read()
    stack = [value]
    while stack:
        container = stack.pop()
        items = container.items() if type(container) is dict else enumerate(container)
        for key, item in list(items):
            if type(item) is shm.Segment:
                container[key] = item.read()
            elif type(item) is dict or type(item) is list:
                stack.append(item)
    return value
