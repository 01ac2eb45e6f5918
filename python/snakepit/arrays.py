"""N-dimensional arrays on the wire (docs/protocol.md, section 3.3).

An array travels as the tag ``{"$nd": {"dtype": "float64", "shape": [2, 3], "byteorder": "little",
"data": {"$b": 0}}}``: its elements in C order, raw, as one attachment. What is sent as one:

- a ``numpy.ndarray`` of a supported dtype (made C-contiguous first, copied only when it is not);
- an ``array.array`` (one dimension, the machine's byte order);
- a ``memoryview`` with a typed format or more than one dimension (a flat view of bytes stays bytes).

What arrives: a ``numpy.ndarray`` over the attachment itself (``numpy.frombuffer``, no copy, read-only)
when numpy can be imported, otherwise a read-only ``memoryview`` cast to the format and shape (float16
arrives widened to float32: memoryview has no half-float cast). The variable SNAKEPIT_ARRAYS chooses:
``auto`` (the default), ``numpy`` or ``memoryview``. numpy is never imported until the first array
arrives, and never required: the runtime itself is stdlib-only.
"""
import array
import os
import struct
import sys
from typing import Any, Dict, List, Optional, Tuple

from .settings import SettingError

# Wire name -> (item size, struct/memoryview format letter in native order).
DTYPES: Dict[str, Tuple[int, str]] = {
    "bool": (1, "?"),
    "int8": (1, "b"), "uint8": (1, "B"),
    "int16": (2, "h"), "uint16": (2, "H"),
    "int32": (4, "i"), "uint32": (4, "I"),
    "int64": (8, "q"), "uint64": (8, "Q"),
    "float16": (2, "e"), "float32": (4, "f"), "float64": (8, "d"),
}
# The most dimensions an array may have: numpy's limit before 2.0, and every numpy accepts it.
MAX_NDIM = 32
NATIVE = sys.byteorder
_FIELDS = frozenset(("dtype", "shape", "byteorder", "data"))
_BYTEORDERS = ("little", "big")
# Native format letter -> wire name; "l" and "L" are as wide as the platform's C long.
_FORMATS: Dict[str, str] = {fmt: name for name, (_, fmt) in DTYPES.items()}
_FORMATS["l"] = "int%d" % (8 * array.array("l").itemsize)
_FORMATS["L"] = "uint%d" % (8 * array.array("L").itemsize)
# Unsigned typecodes by item size, for swapping bytes without numpy.
_SWAP = {2: "H", 4: "I", 8: "Q"}
_SETTING = "SNAKEPIT_ARRAYS"
_CHOICES = ("auto", "numpy", "memoryview")


class ArrayError(ValueError):
    """An array that cannot be sent, or a malformed array tag; the message names the rule."""


# ---------------------------------------------------------------------------------------- backend

_backend: Optional[str] = None  # "numpy" or "memoryview", chosen at the first array or by configure()


def configure() -> None:
    """Reads SNAKEPIT_ARRAYS; raises SettingError for a value outside auto, numpy and memoryview, or
    for numpy when it cannot be imported. Does not import numpy for auto."""
    global _backend
    text = (os.environ.get(_SETTING) or "auto").strip()
    if text not in _CHOICES:
        raise SettingError("%s=%r is not one of %s" % (_SETTING, text, ", ".join(_CHOICES)))
    if text == "numpy":
        try:
            import numpy  # noqa: F401  (checked now, so that a worker without it fails at start)
        except ImportError as err:
            raise SettingError("%s=numpy but numpy cannot be imported: %s" % (_SETTING, err)) from None
    _backend = None if text == "auto" else text


def backend() -> str:
    """The receiving side's choice: "numpy" or "memoryview"."""
    global _backend
    if _backend is None:
        try:
            import numpy  # noqa: F401
            _backend = "numpy"
        except ImportError:
            _backend = "memoryview"
    return _backend


def use(name: Optional[str]) -> None:
    """Sets the backend directly ("numpy", "memoryview", or None for auto); for tests."""
    global _backend
    _backend = name


# ---------------------------------------------------------------------------------------- sending

def is_array(value: Any) -> bool:
    """Whether a value travels as an array tag."""
    t = type(value)
    if t is array.array:
        return True
    if t is memoryview:
        return value.ndim != 1 or value.format not in ("B", "b", "c")
    np = sys.modules.get("numpy")
    return np is not None and isinstance(value, np.ndarray)


def numpy_scalar(value: Any) -> Optional[Any]:
    """The Python int, float or bool of a numpy scalar of such a kind; None for anything else."""
    np = sys.modules.get("numpy")
    if np is None or not isinstance(value, np.generic) or value.dtype.kind not in "biuf":
        return None
    return value.item()


def refuse(value: Any) -> None:
    """Raises ArrayError for an array value that has no wire form: an array.array of text, a memoryview
    of a struct format, a numpy array of an object, string, complex or structured dtype, or a masked
    array (its mask would be lost)."""
    t = type(value)
    if t is array.array:
        if value.typecode not in _FORMATS:
            raise ArrayError("array.array of typecode %r has no array form; supported typecodes are "
                             "b, B, h, H, i, I, l, L, q, Q, f and d" % value.typecode)
        return
    if t is memoryview:
        if value.format.lstrip("@") not in _FORMATS:
            raise ArrayError("memoryview of format %r has no array form; supported formats are %s"
                             % (value.format, " ".join(sorted(_FORMATS))))
        if value.ndim > MAX_NDIM:
            raise ArrayError("memoryview of %d dimensions: at most %d are allowed" % (value.ndim, MAX_NDIM))
        return
    masked = sys.modules.get("numpy.ma")
    if masked is not None and isinstance(value, masked.MaskedArray):
        raise ArrayError("a numpy masked array cannot be sent: its mask would be lost; send "
                         ".filled(...), or the data and the mask as two arrays")
    dtype = value.dtype
    if dtype.name not in DTYPES or dtype.fields is not None:
        raise ArrayError("numpy array of dtype %s has no array form; supported dtypes are %s (convert "
                         "it with .astype(...), or send .tolist())" % (dtype, ", ".join(DTYPES)))
    if value.ndim > MAX_NDIM:
        raise ArrayError("numpy array of %d dimensions: at most %d are allowed" % (value.ndim, MAX_NDIM))


def describe(value: Any) -> Tuple[Dict[str, Any], Any]:
    """The tag's fields but "data", and the buffer to attach: the value's own memory when it is
    C-contiguous, else a contiguous copy. The value must have passed refuse()."""
    t = type(value)
    if t is array.array:
        return _fields(_FORMATS[value.typecode], [len(value)], NATIVE), memoryview(value).cast("B")
    if t is memoryview:
        data = value.cast("B") if value.c_contiguous else value.tobytes()
        return _fields(_FORMATS[value.format.lstrip("@")], list(value.shape), NATIVE), data
    contiguous = sys.modules["numpy"].asarray(value)  # a subclass (numpy.matrix) as a plain array
    if not contiguous.flags.c_contiguous:
        contiguous = contiguous.copy(order="C")
    order = contiguous.dtype.byteorder
    byteorder = NATIVE if order in "=|" else ("little" if order == "<" else "big")
    data = memoryview(contiguous.reshape(-1)).cast("B")
    return _fields(contiguous.dtype.name, list(contiguous.shape), byteorder), data


def _fields(name: str, shape: List[int], byteorder: str) -> Dict[str, Any]:
    return {"dtype": name, "shape": shape, "byteorder": byteorder}


# ---------------------------------------------------------------------------------------- receiving

def receive(spec: Any) -> Any:
    """The array an ``$nd`` tag's value stands for; raises ArrayError naming what is malformed."""
    dtype, shape, byteorder, data = _check(spec)
    if backend() == "numpy":
        import numpy as np
        wire = np.dtype(dtype).newbyteorder("<" if byteorder == "little" else ">")
        if not data:
            return np.empty(shape, wire)
        return np.frombuffer(data, wire).reshape(shape)
    size, fmt = DTYPES[dtype]
    if dtype == "float16":
        # memoryview cannot take the half-float format: the numbers arrive widened to float32.
        order = "<" if byteorder == "little" else ">"
        count = len(data) // 2
        data = struct.pack("=%df" % count, *struct.unpack("%s%de" % (order, count), data))
        size, fmt, byteorder = 4, "f", NATIVE
    view = memoryview(data)
    if byteorder != NATIVE and size > 1:
        swapped = array.array(_SWAP[size])
        swapped.frombytes(data)
        swapped.byteswap()
        view = memoryview(swapped).toreadonly()
    if 0 in shape:
        # memoryview cannot have a zero in a shape of several dimensions: an empty 1-D view stands in.
        return view.cast("B").cast(fmt)
    return view.cast("B").cast(fmt, shape)


def _check(spec: Any) -> Tuple[str, List[int], str, bytes]:
    if type(spec) is not dict or set(spec) != _FIELDS:
        found = sorted(spec) if type(spec) is dict else type(spec).__name__
        raise ArrayError("array tag must hold an object with exactly the members byteorder, data, dtype "
                         "and shape; found %s" % (found,))
    dtype, shape, byteorder, data = spec["dtype"], spec["shape"], spec["byteorder"], spec["data"]
    if dtype not in DTYPES:
        raise ArrayError("array tag has dtype %r; supported dtypes are %s" % (dtype, ", ".join(DTYPES)))
    if (type(shape) is not list or len(shape) > MAX_NDIM
            or not all(type(n) is int and n >= 0 for n in shape)):
        raise ArrayError("array tag has shape %r; a shape is a list of at most %d non-negative integers"
                         % (shape, MAX_NDIM))
    if byteorder not in _BYTEORDERS:
        raise ArrayError("array tag has byteorder %r; it must be \"little\" or \"big\"" % (byteorder,))
    if type(data) is not bytes and type(data) is not memoryview:  # an attachment, or a file (shm.py)
        raise ArrayError("array tag's data must be a bytes tag, not %s" % type(data).__name__)
    count = 1
    for n in shape:
        count *= n
    if count * DTYPES[dtype][0] != len(data):
        raise ArrayError("array tag of dtype %s and shape %s needs %d bytes of data; its attachment has %d"
                         % (dtype, shape, count * DTYPES[dtype][0], len(data)))
    return dtype, shape, byteorder, data
