import collections
import decimal
import enum
import math
import sys

import pytest

from snakepit import protocol, values
from snakepit.values import SerializationError


def round_trip(value):
    body, attachments, flags = values.encode(value)
    return values.decode(body, [bytes(memoryview(a)) for a in attachments], flags)


def same(a, b):
    """Equality that also checks types, float signs and NaN, recursively."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


@pytest.mark.parametrize("value", [
    None, True, False, 0, -1, 2 ** 63 - 1, 2 ** 63, -(2 ** 64), 10 ** 300, 0.1, 1.0, -0.0, 1e300, 5e-324,
    float("inf"), float("-inf"), "", "plain", "quote \" backslash \\ tab \t", "a\x00b", "\u6f22\u5b57",
    "\U0001f40d snake", "e\u0301", [], {}, [1, [2, [3, []]], {}], {"z": 1, "a": 2, "m": {"k": [None]}},
], ids=repr)
def test_round_trips_with_type_and_order(value):
    assert same(round_trip(value), value)


def test_nan_round_trips():
    assert math.isnan(round_trip(float("nan")))


def test_floats_stay_floats_and_ints_stay_ints():
    body, _, _ = values.encode([1.0, 1, 2.5e20, 10 ** 20])
    assert body == b"[1.0,1,2.5e+20,100000000000000000000]"


def test_non_ascii_is_escaped_so_the_body_is_ascii():
    body, _, _ = values.encode("\u6f22\U0001f40d")
    assert body == b'"\\u6f22\\ud83d\\udc0d"'


def test_raw_utf8_and_escapes_both_decode():
    assert values.decode('"\u6f22 \U0001f40d"'.encode("utf-8")) == "\u6f22 \U0001f40d"
    assert values.decode(b'"\\u6f22 \\ud83d\\udc0d"') == "\u6f22 \U0001f40d"


def test_lone_surrogate_travels_as_an_escape_and_comes_back():
    # Python strings may hold a lone surrogate; JSON escapes carry it, and Java strings can hold it too.
    body, _, _ = values.encode("a\ud800b")
    assert body == b'"a\\ud800b"'
    assert values.decode(body) == "a\ud800b"


def test_invalid_utf8_is_a_serialization_error():
    with pytest.raises(SerializationError) as err:
        values.decode(b'"\xff"')
    assert err.value.reason == "bad_utf8"


def test_tuples_arrive_as_lists():
    assert same(round_trip((1, (2, 3))), [1, [2, 3]])


def test_bytes_like_values_become_attachments_and_arrive_as_bytes():
    value = {"b": b"\x00\xff", "ba": bytearray(b"ba"), "mv": memoryview(b"mv"), "empty": b""}
    body, attachments, flags = values.encode(value)
    assert flags == protocol.TAGGED
    assert body == b'{"b":{"$b":0},"ba":{"$b":1},"mv":{"$b":2},"empty":{"$b":3}}'
    assert [bytes(a) for a in attachments] == [b"\x00\xff", b"ba", b"mv", b""]
    assert same(round_trip(value), {"b": b"\x00\xff", "ba": b"ba", "mv": b"mv", "empty": b""})


def test_strided_and_signed_byte_memoryviews_are_sent_as_their_bytes():
    assert round_trip(memoryview(b"abcdef")[::2]) == b"ace"
    assert round_trip(memoryview(b"\xff\x01").cast("b")) == b"\xff\x01"
    # Typed and multi-dimensional views are arrays (test_arrays.py).


def test_tag_lookalikes_are_escaped_and_restored():
    value = {"a": {"$b": 1}, "b": {"$$b": "x"}, "c": {"$b": 0, "other": 1}, "d": {"$c": 1}, "e": b"!"}
    body, _, flags = values.encode(value)
    assert flags == protocol.TAGGED
    assert body == (b'{"a":{"$$b":1},"b":{"$$$b":"x"},"c":{"$b":0,"other":1},"d":{"$c":1},'
                    b'"e":{"$b":0}}')
    assert same(round_trip(value), {k: (v if k != "e" else b"!") for k, v in value.items()})


def test_lookalike_alone_sets_tagged():
    body, attachments, flags = values.encode([{"$b": 0}])
    assert (body, attachments, flags) == (b'[{"$$b":0}]', [], protocol.TAGGED)
    assert values.decode(body, [], flags) == [{"$b": 0}]


def test_lookalike_holding_bytes():
    assert round_trip({"$b": b"zz"}) == {"$b": b"zz"}


def test_plain_values_are_not_tagged():
    assert values.encode({"a": [1, "x"]})[2] == 0


def test_untagged_bodies_are_not_interpreted():
    assert values.decode(b'{"x":{"$b":0},"y":{"$$b":1}}') == {"x": {"$b": 0}, "y": {"$$b": 1}}


@pytest.mark.parametrize("body", [b'[{"$b":1}]', b'[{"$b":"0"}]', b'[{"$b":-1}]', b'[{"$b":true}]',
                                  b'[{"$b":0.0}]', b'[{"$b":0},{"$b":0}]', b'[]'])
def test_bad_tags_are_refused(body):
    with pytest.raises(SerializationError) as err:
        values.decode(body, [b"a"], protocol.TAGGED)
    assert err.value.reason == "bad_tag"


def test_attachments_without_tagged_flag_are_refused():
    with pytest.raises(SerializationError) as err:
        values.decode(b'{"x":1}', [b"a"], 0)
    assert err.value.reason == "bad_tag"


def test_duplicate_keys_are_two_members_not_a_tag():
    assert values.decode(b'{"$b":0,"$b":0}', [], protocol.TAGGED) == {"$b": 0}


def test_empty_body_is_none():
    assert values.decode(b"") is None


def test_bad_json_is_a_serialization_error():
    with pytest.raises(SerializationError) as err:
        values.decode(b'{"a":')
    assert err.value.reason == "bad_json"


@pytest.mark.parametrize("body,value", [
    (b'{"a":[1,NaN]}', {"a": [1, None]}), (b' {"a":1}', {"a": 1}), (b'{"a":1}\n', {"a": 1}),
    (b'\t[true] ', [True]), (b'"s"', "s"), (b"7", 7),
])
def test_whitespace_around_a_body_is_allowed(body, value):
    decoded = values.decode(body)
    if isinstance(value, dict) and value.get("a") == [1, None]:
        assert decoded["a"][0] == 1 and math.isnan(decoded["a"][1])
    else:
        assert decoded == value


@pytest.mark.parametrize("body", [b'{"a":1}x', b'{"a":1} {}', b"  ", b"[1,]", b"nul"])
def test_anything_after_or_instead_of_one_value_is_bad_json(body):
    with pytest.raises(SerializationError) as err:
        values.decode(body)
    assert err.value.reason == "bad_json"


def test_subclasses_of_scalars_are_accepted():
    class Color(enum.IntEnum):
        RED = 1

    class Meters(float):
        pass

    class Name(str):
        pass

    body, _, _ = values.encode([Color.RED, Meters(2.5), Name("n"), True])
    assert body == b'[1,2.5,"n",true]'


def test_container_subclasses_encode_as_their_base():
    point = collections.namedtuple("Point", "x y")(1, 2)
    assert values.encode({"p": point, "o": collections.OrderedDict(a=1)})[0] == b'{"p":[1,2],"o":{"a":1}}'


class FakeNumpyInt:
    """Like numpy.int64: not an int subclass, has .item()."""

    def item(self):
        return 1


class FakeNumpyArray:
    def item(self):
        return 1

    def tolist(self):
        return [1]


@pytest.mark.parametrize("value,path,type_name,hint", [
    ({"ok": [1, {2, 3}]}, "$.ok[1]", "set", "list"),
    ([object()], "$[0]", "object", ""),
    ({"a": {"weird key": [decimal.Decimal(1)]}}, '$.a["weird key"][0]', "decimal.Decimal", ""),
    ({"n": FakeNumpyInt()}, "$.n", "test_values.FakeNumpyInt", ".item()"),
    ({"n": [FakeNumpyArray()]}, "$.n[0]", "test_values.FakeNumpyArray", ".tolist()"),
    ({"x": {1: "one"}}, "$.x", "int", "key"),
    (frozenset(), "$", "frozenset", "list"),
    ([1, 2, {"deep": [None, 3.5, {"k": complex(1, 2)}]}], "$[2].deep[2].k", "complex", ""),
])
def test_unsupported_values_are_refused_with_their_path(value, path, type_name, hint):
    with pytest.raises(SerializationError) as err:
        values.encode(value)
    assert err.value.path == path
    assert err.value.type_name == type_name
    assert hint in str(err.value)
    assert err.value.details() == {"path": path, "type": type_name}


def test_result_paths_start_at_value():
    with pytest.raises(SerializationError) as err:
        values.encode_result({"items": [1, 2, {3}]})
    assert err.value.path == "$.value.items[2]"


def test_encode_result_wraps_the_value():
    assert values.encode_result(None) == (b'{"value":null}', [], 0)
    assert values.encode_result([1])[0] == b'{"value":[1]}'
    body, attachments, flags = values.encode_result(b"x")
    assert (body, attachments, flags) == (b'{"value":{"$b":0}}', [b"x"], protocol.TAGGED)


def nested(depth):
    value = []
    for _ in range(depth - 1):
        value = [value]
    return value


def test_nesting_up_to_the_limit_is_fine_and_deeper_is_refused():
    assert values.decode(values.encode(nested(values.MAX_DEPTH))[0]) == nested(values.MAX_DEPTH)
    with pytest.raises(SerializationError) as err:
        values.encode(nested(values.MAX_DEPTH + 1))
    assert "nested deeper" in str(err.value)
    deep_map = {}
    for _ in range(values.MAX_DEPTH + 5):
        deep_map = {"k": deep_map}
    with pytest.raises(SerializationError):
        values.encode(deep_map)


def test_reference_cycles_are_refused():
    loop = []
    loop.append(loop)
    with pytest.raises(SerializationError):
        values.encode(loop)


LONGEST = 10 ** values.MAX_INT_DIGITS - 1  # 4300 nines
TOO_LONG = 10 ** values.MAX_INT_DIGITS  # 4301 digits
RULE = "is longer than the protocol allows (at most 4300 digits, the sign not counted)"


@pytest.fixture(params=["default", "unlimited", "lowest", "raised", "absent"])
def interpreter_limit(request, monkeypatch):
    """Runs a test under each setting of sys.set_int_max_str_digits, and as on a Python without it
    (before 3.9.14 and 3.10.7: no limit at all, and nothing to ask)."""
    setting = {"default": 4300, "unlimited": 0, "lowest": 640, "raised": 100000, "absent": 0}[request.param]
    if not hasattr(sys, "set_int_max_str_digits"):
        if request.param != "absent":
            pytest.skip("this Python has no int digit limit to set")
        yield request.param
        return
    if request.param == "absent":
        monkeypatch.setattr(values, "_interpreter_int_digits", lambda: 0)
    before = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(setting)
    try:
        yield request.param
    finally:
        sys.set_int_max_str_digits(before)


@pytest.mark.parametrize("value", [LONGEST, -LONGEST, {"rows": [1, {"n": -LONGEST}], "b": b"\x00"},
                                   [10 ** 700, 2 ** 5000, -(10 ** 3000)]],
                         ids=["longest", "longest negative", "nested beside bytes", "long ones"])
def test_integers_of_4300_digits_round_trip_whatever_the_interpreter_limit(interpreter_limit, value):
    assert round_trip(value) == value


def test_integers_of_4300_digits_decode_whatever_the_interpreter_limit(interpreter_limit):
    assert values.decode(b"[-" + b"9" * 4300 + b"," + b"9" * 4300 + b"]") == [-LONGEST, LONGEST]
    body = b'{"a":{"$b":0},"n":' + b"9" * 4300 + b"}"
    assert values.decode(body, [b"x"], protocol.TAGGED) == {"a": b"x", "n": LONGEST}


@pytest.mark.parametrize("value, path, digits", [
    (TOO_LONG, "$", 4301),
    (-TOO_LONG, "$", 4301),
    ({"kwargs": {"x": TOO_LONG}}, "$.kwargs.x", 4301),
    ({"kwargs": {"rows": [1, {"n": -TOO_LONG}]}}, "$.kwargs.rows[1].n", 4301),
    ({"data": b"\x01", "deep": [[10 ** 9999]]}, "$.deep[0][0]", 10000),
], ids=["top", "negative", "argument", "nested", "beside bytes"])
def test_an_integer_of_more_than_4300_digits_is_refused_naming_path_digits_and_rule(
        interpreter_limit, value, path, digits):
    with pytest.raises(SerializationError) as err:
        values.encode(value)
    assert str(err.value) == "%s: integer of %d digits %s" % (path, digits, RULE)
    assert err.value.details() == {"path": path, "type": "int"}


def test_a_result_holding_a_too_long_integer_is_refused_at_its_path(interpreter_limit):
    with pytest.raises(SerializationError) as err:
        values.encode_result({"ok": [1, 2], "n": [LONGEST, TOO_LONG]})
    assert err.value.path == "$.value.n[1]"


@pytest.mark.parametrize("body, path, digits", [
    (b"1" + b"0" * 4300, "$", 4301),
    (b"-1" + b"0" * 4300, "$", 4301),
    (b'{"kwargs":{"x":' + b"9" * 4301 + b"}}", "$.kwargs.x", 4301),
    (b'{"kwargs":{"rows":[1,{"n":-' + b"9" * 5000 + b"}]}}", "$.kwargs.rows[1].n", 5000),
], ids=["top", "negative", "argument", "nested"])
def test_decoding_an_integer_of_more_than_4300_digits_is_refused_naming_path_digits_and_rule(
        interpreter_limit, body, path, digits):
    for attachments, flags in (((), 0), ((), protocol.TAGGED)):
        with pytest.raises(SerializationError) as err:
            values.decode(body, attachments, flags)
        assert str(err.value) == "%s: integer of %d digits %s" % (path, digits, RULE)
        assert err.value.details() == {"path": path, "type": "int"}


def test_a_string_of_many_digits_is_no_integer(interpreter_limit):
    digits = "7" * 10000
    assert round_trip({"text": digits, "n": 1}) == {"text": digits, "n": 1}
    assert values.decode(b'["' + digits.encode() + b'"]') == [digits]


def test_the_interpreter_setting_is_left_as_it_was(interpreter_limit):
    if not hasattr(sys, "get_int_max_str_digits"):
        pytest.skip("this Python has no int digit limit")
    setting = sys.get_int_max_str_digits()
    round_trip([LONGEST, "x"])
    with pytest.raises(SerializationError):
        values.encode(TOO_LONG)
    assert sys.get_int_max_str_digits() == setting


def test_very_deep_bodies_fail_cleanly():
    with pytest.raises(SerializationError):
        values.decode(b"[" * 100000 + b"]" * 100000)


def test_large_flat_containers_take_the_fast_path():
    floats = [float(i) for i in range(100000)]
    assert values.encode(floats)[2] == 0
    assert values.decode(values.encode(floats)[0]) == floats


def records(n=200):
    return [{"id": i, "name": "item-%d" % i, "tags": ["a", (1, 2.5)], "meta": {"ok": None}} for i in range(n)]


def with_record(field, value, at=150):
    rows = records()
    rows[at]["meta"][field] = value
    return rows


class Row(tuple):
    """A tuple subclass, as namedtuple makes."""


@pytest.mark.parametrize("value", [
    records(),
    with_record("blob", b"\x00\x01"),
    with_record("$b", 7),
    with_record("$ref", "not a lookalike, but starts with $"),
    with_record("row", Row((1, 2))),
    with_record("odd", {1: "one"}),
    with_record("odd", {"x", "y"}),
    with_record("deep", nested(values.MAX_DEPTH - 3)),
    with_record("deep", nested(values.MAX_DEPTH)),
    [nested(values.MAX_DEPTH - 1)] * 100,
    [nested(values.MAX_DEPTH)] * 100,
    [[{"k": [i]}] for i in range(300)],
    [("t", i) for i in range(300)],
], ids=["records", "bytes", "lookalike", "dollar-key", "tuple-subclass", "int-key", "set", "deep-ok", "too-deep",
        "lists-at-limit", "lists-past-limit", "nested-lists", "tuples"])
def test_long_lists_of_containers_encode_exactly_as_the_walk_alone_does(value, monkeypatch):
    def outcome():
        try:
            return values.encode(value)
        except SerializationError as err:
            return (str(err), err.path, err.type_name)

    checked = outcome()
    monkeypatch.setattr(values, "_BULK", sys.maxsize)  # the element-by-element walk only
    assert checked == outcome()


def test_the_level_check_vouches_only_for_values_that_need_nothing():
    assert values._plain(records(), values.MAX_DEPTH) is True
    assert values._plain([[{"k": [i]}] for i in range(300)], values.MAX_DEPTH) is True
    for unsure in (with_record("blob", b"x"), with_record("$ref", 1), with_record("row", Row()),
                   with_record("odd", {1: "one"}), [nested(values.MAX_DEPTH)] * 100):
        assert values._plain(unsure, values.MAX_DEPTH) is False
    # The outer list is level 0; nested(10) puts containers on levels 1 to 10.
    assert values._plain([nested(10)] * 100, 11) is True
    assert values._plain([nested(10)] * 100, 10) is False


def test_a_long_list_that_contains_itself_is_refused_without_growing_without_bound(monkeypatch):
    monkeypatch.setattr(values, "_PLAIN_BUDGET", 10000)
    loop = []
    loop.extend([loop] * 100)
    with pytest.raises(SerializationError) as err:
        values.encode(loop)
    assert "nested deeper" in str(err.value)
