"""Writes the golden frames of docs/protocol.md, section 6.

Each frame is assembled here with nothing but ``struct`` from a hand-written JSON body, so the frames
do not depend on either codec. Beside each ``<name>.bin`` goes ``<name>.json``, describing what a
decoder must make of it. Values in the description use a typed notation that both test suites read,
so that types survive the trip through JSON:

    {"null": null} {"bool": true} {"int": "<decimal>"} {"float": "<repr>|NaN|Infinity|-Infinity"}
    {"str": "..."} {"bytes": "<hex>"} {"list": [<node>, ...]} {"map": [["key", <node>], ...]}
    {"ndarray": {"dtype": "float64", "shape": [2, 2], "byteorder": "little", "data": "<hex>"}}

Frames under invalid/ must be rejected; their description names the reason in "error".
Run from anywhere: python3 docs/protocol/golden/make_golden.py
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = {"HELLO": 1, "WELCOME": 2, "CALL": 3, "RESULT": 4, "ERROR": 5, "SHUTDOWN": 6,
         "SESSION_OPEN": 7, "SESSION_CLOSE": 8, "CHUNK": 9, "CREDIT": 10,
         "HOST_CALL": 11, "HOST_RESULT": 12, "HOST_ERROR": 13,
         "LOG": 16, "FATAL": 17, "CANCEL": 18, "HEARTBEAT": 19, "HEARTBEAT_ACK": 20,
         "RETIRE": 21}
TAGGED = 0x01


def frame(kind, request_id, body, attachments=(), flags=0, reserved=0, length_delta=0):
    body_bytes = body.encode("utf-8")
    table = b"".join(struct.pack(">I", len(a)) for a in attachments)
    rest = (struct.pack(">BBHQII", kind, flags, reserved, request_id, len(body_bytes), len(attachments))
            + table + body_bytes + b"".join(attachments))
    return struct.pack(">I", len(rest) + length_delta) + rest


def N():
    return {"null": None}


def B(v):
    return {"bool": v}


def I(v):
    return {"int": str(v)}


def F(text):
    return {"float": text}


def S(v):
    return {"str": v}


def Y(data):
    return {"bytes": data.hex()}


def L(*items):
    return {"list": list(items)}


def A(dtype, shape, byteorder, data):
    return {"ndarray": {"dtype": dtype, "shape": shape, "byteorder": byteorder, "data": data.hex()}}


def M(*pairs):
    return {"map": [[k, v] for k, v in pairs]}


def write(name, data, description, subdir=""):
    folder = os.path.join(HERE, subdir)
    with open(os.path.join(folder, name + ".bin"), "wb") as f:
        f.write(data)
    with open(os.path.join(folder, name + ".json"), "w", encoding="utf-8") as f:
        json.dump(description, f, indent=2, ensure_ascii=False)
        f.write("\n")


def valid(name, text, kind, request_id, body_text, body, attachments=(), flags=0):
    data = frame(KINDS[kind], request_id, body_text, attachments, flags)
    write(name, data, {
        "description": text,
        "kind": kind,
        "kind_code": KINDS[kind],
        "flags": flags,
        "request_id": request_id,
        "attachments": [a.hex() for a in attachments],
        "body": body,
    })


def invalid(name, text, data, error, max_frame_bytes=1 << 20):
    write(name, data, {"description": text, "error": error, "max_frame_bytes": max_frame_bytes},
          subdir="invalid")


def main():
    valid("hello", "Handshake from a worker with one tool.", "HELLO", 0,
          '{"protocol":[1],"token":"00ff","worker_id":"w1","pid":4242,"runtime_version":"0.1.0",'
          '"python":{"version":"3.11.7","implementation":"CPython","executable":"/usr/bin/python3"},'
          '"adapter":"demo:Demo","dispatch":"tools","concurrency":1,'
          '"tools":[{"name":"add","doc":"Add two numbers.","parameters":['
          '{"name":"a","kind":"positional_or_keyword","required":true,"annotation":"int"},'
          '{"name":"b","kind":"positional_or_keyword","required":false,"default":2,"default_repr":"2",'
          '"annotation":"int"}]}]}',
          M(("protocol", L(I(1))), ("token", S("00ff")), ("worker_id", S("w1")), ("pid", I(4242)),
            ("runtime_version", S("0.1.0")),
            ("python", M(("version", S("3.11.7")), ("implementation", S("CPython")),
                         ("executable", S("/usr/bin/python3")))),
            ("adapter", S("demo:Demo")), ("dispatch", S("tools")), ("concurrency", I(1)),
            ("tools", L(M(("name", S("add")), ("doc", S("Add two numbers.")), ("parameters", L(
                M(("name", S("a")), ("kind", S("positional_or_keyword")), ("required", B(True)),
                  ("annotation", S("int"))),
                M(("name", S("b")), ("kind", S("positional_or_keyword")), ("required", B(False)),
                  ("default", I(2)), ("default_repr", S("2")), ("annotation", S("int"))))))))))

    valid("welcome", "The JVM accepts protocol 1.", "WELCOME", 0,
          '{"protocol":1,"pool":"default","worker_id":"w1"}',
          M(("protocol", I(1)), ("pool", S("default")), ("worker_id", S("w1"))))

    valid("call_scalars", "A call whose keyword arguments cover every scalar type and its edges.", "CALL", 7,
          '{"tool":"echo","args":[],"kwargs":{'
          '"none":null,"yes":true,"no":false,'
          '"zero":0,"neg":-17,"above_2_53":9007199254740993,"long_max":9223372036854775807,'
          '"above_long":18446744073709551616,"big_neg":-1180591620717411303424,'
          '"tenth":0.1,"neg_zero":-0.0,"huge":1e300,"tiny":5e-324,"one":1.0,'
          '"nan":NaN,"inf":Infinity,"ninf":-Infinity,'
          '"ascii":"plain \\"quoted\\" \\\\ text","nul":"a\\u0000b","cjk":"\u6f22\u5b57",'
          '"emoji":"\\ud83d\\udc0d snake","combining":"e\u0301","empty":""},'
          '"timeout_ms":5000}',
          M(("tool", S("echo")), ("args", L()),
            ("kwargs", M(("none", N()), ("yes", B(True)), ("no", B(False)),
                         ("zero", I(0)), ("neg", I(-17)), ("above_2_53", I(9007199254740993)),
                         ("long_max", I(9223372036854775807)), ("above_long", I(18446744073709551616)),
                         ("big_neg", I(-1180591620717411303424)),
                         ("tenth", F("0.1")), ("neg_zero", F("-0.0")), ("huge", F("1e300")),
                         ("tiny", F("5e-324")), ("one", F("1.0")),
                         ("nan", F("NaN")), ("inf", F("Infinity")), ("ninf", F("-Infinity")),
                         ("ascii", S('plain "quoted" \\ text')), ("nul", S("a\u0000b")),
                         ("cjk", S("\u6f22\u5b57")), ("emoji", S("\U0001f40d snake")),
                         ("combining", S("e\u0301")), ("empty", S("")))),
            ("timeout_ms", I(5000))))

    png = bytes([0x89, 0x50, 0x4E, 0x47])
    every_byte = bytes(range(256))
    valid("call_bytes", "Bytes as attachments, an empty one, and user maps that look like tags (escaped).",
          "CALL", 8,
          '{"tool":"store","args":[{"$b":0},{"$b":2}],"kwargs":{"image":{"$b":1},'
          '"meta":{"$$b":1},"deeper":{"$$$b":"x"},"two_keys":{"$b":0,"other":1}}}',
          M(("tool", S("store")), ("args", L(Y(every_byte), Y(b""))),
            ("kwargs", M(("image", Y(png)), ("meta", M(("$b", I(1)))), ("deeper", M(("$$b", S("x")))),
                         ("two_keys", M(("$b", I(0)), ("other", I(1))))))),
          attachments=(every_byte, png, b""), flags=TAGGED)

    valid("call_untagged_lookalike", "Without TAGGED, an object named $b is a plain map.", "CALL", 9,
          '{"tool":"echo","kwargs":{"x":{"$b":0},"y":{"$$b":1}}}',
          M(("tool", S("echo")), ("kwargs", M(("x", M(("$b", I(0)))), ("y", M(("$$b", I(1))))))))

    valid("result_nested", "A result with nested lists and maps, key order kept.", "RESULT", 7,
          '{"value":{"z":[1,[2,[3,[]]],{}],"a":{"inner":[true,null,"s",2.5]},"m":{}}}',
          M(("value", M(("z", L(I(1), L(I(2), L(I(3), L())), M())),
                        ("a", M(("inner", L(B(True), N(), S("s"), F("2.5"))))),
                        ("m", M())))))

    valid("result_bytes", "A result that is a single bytes value.", "RESULT", 10,
          '{"value":{"$b":0}}', M(("value", Y(b"\x00\x01\xfe\xff"))),
          attachments=(b"\x00\x01\xfe\xff",), flags=TAGGED)

    matrix = struct.pack("<4d", 1.0, 2.0, 3.0, 4.5)
    valid("result_ndarray", "A result that is a 2x2 float64 array: its elements as one attachment.",
          "RESULT", 10, '{"value":{"$nd":{"dtype":"float64","shape":[2,2],"byteorder":"little",'
          '"data":{"$b":0}}}}', M(("value", A("float64", [2, 2], "little", matrix))),
          attachments=(matrix,), flags=TAGGED)

    big = struct.pack(">3i", 1, -2, 70000)
    valid("call_ndarray", "A call with a big-endian int32 array, bytes beside it, and a map that looks "
          "like an array tag, escaped.", "CALL", 11,
          '{"tool":"fit","args":[{"$nd":{"dtype":"int32","shape":[3],"byteorder":"big","data":{"$b":0}}},'
          '{"$b":1}],"kwargs":{"meta":{"$$nd":"mine"}}}',
          M(("tool", S("fit")), ("args", L(A("int32", [3], "big", big), Y(b"\x07"))),
            ("kwargs", M(("meta", M(("$nd", S("mine"))))))),
          attachments=(big, b"\x07"), flags=TAGGED)

    valid("error_python_exception", "A tool raised KeyError while handling ValueError, chained with from.",
          "ERROR", 11,
          '{"kind":"PYTHON_EXCEPTION","message":"KeyError: \'missing\'","exception":{'
          '"type":"KeyError","module":"builtins","message":"\'missing\'",'
          '"frames":[{"file":"/app/tools.py","line":10,"function":"lookup","source":"return table[key]"}],'
          '"traceback":"Traceback (most recent call last):\\n  File \\"/app/tools.py\\", line 10, in lookup\\n'
          '    return table[key]\\nKeyError: \'missing\'\\n",'
          '"cause":{"type":"ValueError","module":"builtins","message":"bad key","frames":[],'
          '"traceback":"ValueError: bad key\\n","cause":null,"context":null,"suppress_context":false},'
          '"context":null,"suppress_context":true},"details":{}}',
          M(("kind", S("PYTHON_EXCEPTION")), ("message", S("KeyError: 'missing'")),
            ("exception", M(
                ("type", S("KeyError")), ("module", S("builtins")), ("message", S("'missing'")),
                ("frames", L(M(("file", S("/app/tools.py")), ("line", I(10)), ("function", S("lookup")),
                               ("source", S("return table[key]"))))),
                ("traceback", S("Traceback (most recent call last):\n  File \"/app/tools.py\", line 10, "
                                "in lookup\n    return table[key]\nKeyError: 'missing'\n")),
                ("cause", M(("type", S("ValueError")), ("module", S("builtins")), ("message", S("bad key")),
                            ("frames", L()), ("traceback", S("ValueError: bad key\n")), ("cause", N()),
                            ("context", N()), ("suppress_context", B(False)))),
                ("context", N()), ("suppress_context", B(True)))),
            ("details", M())))

    tb_batch = ("  + Exception Group Traceback (most recent call last):\n"
                "  |   File \"/app/tools.py\", line 20, in run_batch\n"
                "  |     raise ExceptionGroup(\"batch\", failures)\n"
                "  | ExceptionGroup: batch (3 sub-exceptions)\n"
                "  +-+---------------- 1 ----------------\n"
                "    | Traceback (most recent call last):\n"
                "    |   File \"/app/tools.py\", line 12, in check\n"
                "    |     raise ValueError(value)\n"
                "    | ValueError: a\n"
                "    +---------------- 2 ----------------\n"
                "    | ExceptionGroup: inner (1 sub-exception)\n"
                "    +-+---------------- 1 ----------------\n"
                "      | KeyError: 'k'\n"
                "      +------------------------------------\n"
                "    +---------------- 3 ----------------\n"
                "    | Traceback (most recent call last):\n"
                "    |   File \"/app/tools.py\", line 12, in check\n"
                "    |     raise ValueError(value)\n"
                "    | ValueError: a\n"
                "    +------------------------------------\n")
    tb_inner = ("  | ExceptionGroup: inner (1 sub-exception)\n"
                "  +-+---------------- 1 ----------------\n"
                "    | KeyError: 'k'\n"
                "    +------------------------------------\n")
    valid("error_exception_group",
          "A tool raised an exception group: a ValueError, a nested group holding a KeyError, and the "
          "same ValueError again, which is described once, so its second entry is null.",
          "ERROR", 13,
          '{"kind":"PYTHON_EXCEPTION","message":"ExceptionGroup: batch (3 sub-exceptions)","exception":{'
          '"type":"ExceptionGroup","module":"builtins","message":"batch (3 sub-exceptions)",'
          '"frames":[{"file":"/app/tools.py","line":20,"function":"run_batch",'
          '"source":"raise ExceptionGroup(\\"batch\\", failures)"}],'
          '"traceback":' + json.dumps(tb_batch) + ','
          '"cause":null,"context":null,"suppress_context":false,'
          '"exceptions":['
          '{"type":"ValueError","module":"builtins","message":"a",'
          '"frames":[{"file":"/app/tools.py","line":12,"function":"check","source":"raise ValueError(value)"}],'
          '"traceback":"Traceback (most recent call last):\\n  File \\"/app/tools.py\\", line 12, in check\\n'
          '    raise ValueError(value)\\nValueError: a\\n",'
          '"cause":null,"context":null,"suppress_context":false},'
          '{"type":"ExceptionGroup","module":"builtins","message":"inner (1 sub-exception)","frames":[],'
          '"traceback":' + json.dumps(tb_inner) + ','
          '"cause":null,"context":null,"suppress_context":false,'
          '"exceptions":[{"type":"KeyError","module":"builtins","message":"\'k\'","frames":[],'
          '"traceback":"KeyError: \'k\'\\n","cause":null,"context":null,"suppress_context":false}],'
          '"exceptions_left_out":0},'
          'null],'
          '"exceptions_left_out":0},"details":{}}',
          M(("kind", S("PYTHON_EXCEPTION")), ("message", S("ExceptionGroup: batch (3 sub-exceptions)")),
            ("exception", M(
                ("type", S("ExceptionGroup")), ("module", S("builtins")),
                ("message", S("batch (3 sub-exceptions)")),
                ("frames", L(M(("file", S("/app/tools.py")), ("line", I(20)), ("function", S("run_batch")),
                               ("source", S('raise ExceptionGroup("batch", failures)'))))),
                ("traceback", S(tb_batch)),
                ("cause", N()), ("context", N()), ("suppress_context", B(False)),
                ("exceptions", L(
                    M(("type", S("ValueError")), ("module", S("builtins")), ("message", S("a")),
                      ("frames", L(M(("file", S("/app/tools.py")), ("line", I(12)), ("function", S("check")),
                                     ("source", S("raise ValueError(value)"))))),
                      ("traceback", S("Traceback (most recent call last):\n  File \"/app/tools.py\", "
                                      "line 12, in check\n    raise ValueError(value)\nValueError: a\n")),
                      ("cause", N()), ("context", N()), ("suppress_context", B(False))),
                    M(("type", S("ExceptionGroup")), ("module", S("builtins")),
                      ("message", S("inner (1 sub-exception)")), ("frames", L()),
                      ("traceback", S(tb_inner)),
                      ("cause", N()), ("context", N()), ("suppress_context", B(False)),
                      ("exceptions", L(M(("type", S("KeyError")), ("module", S("builtins")),
                                         ("message", S("'k'")), ("frames", L()),
                                         ("traceback", S("KeyError: 'k'\n")), ("cause", N()),
                                         ("context", N()), ("suppress_context", B(False))))),
                      ("exceptions_left_out", I(0))),
                    N())),
                ("exceptions_left_out", I(0)))),
            ("details", M())))

    valid("error_invalid_request", "Unknown tool, with the available ones listed.", "ERROR", 12,
          '{"kind":"INVALID_REQUEST","message":"unknown tool \'ad\'; available: add, echo",'
          '"details":{"tool":"ad","available":["add","echo"]}}',
          M(("kind", S("INVALID_REQUEST")), ("message", S("unknown tool 'ad'; available: add, echo")),
            ("details", M(("tool", S("ad")), ("available", L(S("add"), S("echo")))))))

    sid = "0123456789abcdef0123456789abcdef"
    valid("session_open", "The JVM opens a session on the worker (section 4.12).", "SESSION_OPEN", 21,
          '{"session":"%s","timeout_ms":30000}' % sid,
          M(("session", S(sid)), ("timeout_ms", I(30000))))

    valid("session_open_restore", "A session opened from another worker's snapshot, as an attachment.",
          "SESSION_OPEN", 22, '{"session":"%s","timeout_ms":30000,"restore":{"$b":0}}' % sid,
          M(("session", S(sid)), ("timeout_ms", I(30000)), ("restore", Y(b"state\x00\xff"))),
          attachments=[b"state\x00\xff"], flags=TAGGED)

    valid("session_close", "The JVM closes a session whose idle timeout passed.", "SESSION_CLOSE", 23,
          '{"session":"%s","reason":"idle","timeout_ms":30000}' % sid,
          M(("session", S(sid)), ("reason", S("idle")), ("timeout_ms", I(30000))))

    valid("session_close_snapshot", "The JVM asks for a session's snapshot, to move it.", "SESSION_CLOSE", 24,
          '{"session":"%s","reason":"moved","snapshot":true}' % sid,
          M(("session", S(sid)), ("reason", S("moved")), ("snapshot", B(True))))

    valid("call_session", "A call of a hint session, which the worker opens first if it does not hold it.",
          "CALL", 25, '{"tool":"say","args":["hi"],"kwargs":{},"timeout_ms":5000,"session":"%s",'
          '"open_session":true}' % sid,
          M(("tool", S("say")), ("args", L(S("hi"))), ("kwargs", M()), ("timeout_ms", I(5000)),
            ("session", S(sid)), ("open_session", B(True))))

    parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    valid("call_traced", "A traced call: the W3C trace context of the JVM's span of it (section 4.2).",
          "CALL", 26, '{"tool":"add","args":[1,2],"kwargs":{},"timeout_ms":5000,"trace":{"traceparent":"%s",'
          '"tracestate":"vendor=1"}}' % parent,
          M(("tool", S("add")), ("args", L(I(1), I(2))), ("kwargs", M()), ("timeout_ms", I(5000)),
            ("trace", M(("traceparent", S(parent)), ("tracestate", S("vendor=1"))))))

    valid("error_session_lost", "A call of a session the worker does not hold.", "ERROR", 25,
          '{"kind":"SESSION_LOST","message":"session %s is not open on this worker",'
          '"details":{"session":"%s"}}' % (sid, sid),
          M(("kind", S("SESSION_LOST")), ("message", S("session %s is not open on this worker" % sid)),
            ("details", M(("session", S(sid))))))

    valid("call_stream", "A streamed call: the worker may send 16 items before it waits for more credit.",
          "CALL", 26, '{"tool":"tokens","args":[],"kwargs":{"prompt":"hi"},"timeout_ms":60000,'
          '"stream":{"credit":16}}',
          M(("tool", S("tokens")), ("args", L()), ("kwargs", M(("prompt", S("hi")))), ("timeout_ms", I(60000)),
            ("stream", M(("credit", I(16))))))

    valid("chunk", "One item of the stream of call 26.", "CHUNK", 26, '{"value":"Hel"}', M(("value", S("Hel"))))

    valid("chunk_bytes", "An item of bytes, as an attachment.", "CHUNK", 26, '{"value":{"$b":0}}',
          M(("value", Y(b"\x00\x01\x02"))), attachments=[b"\x00\x01\x02"], flags=TAGGED)

    valid("credit", "The consumer of call 26 read 8 items: the worker may send 8 more.", "CREDIT", 26,
          '{"credit":8}', M(("credit", I(8))))

    valid("result_stream", "The stream of call 26 ended after 41 items.", "RESULT", 26, '{"value":41}',
          M(("value", I(41))))

    valid("call_batch", "A batch of three calls of 'add' whose b is 10 unless an item says otherwise.", "CALL", 28,
          '{"tool":"add","args":[],"kwargs":{"b":10},"timeout_ms":30000,"batch":[{"a":1},{"a":2},{"a":3,"b":0}]}',
          M(("tool", S("add")), ("args", L()), ("kwargs", M(("b", I(10)))), ("timeout_ms", I(30000)),
            ("batch", L(M(("a", I(1)),), M(("a", I(2)),), M(("a", I(3)), ("b", I(0)))))))

    valid("result_batch", "The answer to batch 28: item 1 failed, the others have their results.", "RESULT", 28,
          '{"value":{"results":[11,null,3],"errors":[[1,{"kind":"PYTHON_EXCEPTION","message":"ValueError: two",'
          '"details":{}}]]}}',
          M(("value", M(("results", L(I(11), N(), I(3))),
                        ("errors", L(L(I(1), M(("kind", S("PYTHON_EXCEPTION")), ("message", S("ValueError: two")),
                                                ("details", M())))))))))

    valid("host_call", "Call 27's tool calls the host function 'profile' (host call 1 of the worker).", "HOST_CALL", 1,
          '{"call":27,"function":"profile","args":[42],"kwargs":{"fields":["plan"]}}',
          M(("call", I(27)), ("function", S("profile")), ("args", L(I(42))), ("kwargs", M(("fields", L(S("plan")))))))

    valid("host_result", "The JVM answers host call 1.", "HOST_RESULT", 1, '{"value":{"plan":"pro"}}',
          M(("value", M(("plan", S("pro"))))))

    valid("host_error", "Host call 1 failed in Java.", "HOST_ERROR", 1,
          '{"kind":"JAVA_EXCEPTION","type":"java.lang.IllegalStateException","message":"no such user: 42"}',
          M(("kind", S("JAVA_EXCEPTION")), ("type", S("java.lang.IllegalStateException")),
            ("message", S("no such user: 42"))))

    valid("shutdown", "The JVM asks the worker to finish.", "SHUTDOWN", 0,
          '{"reason":"pool closed"}', M(("reason", S("pool closed"))))

    valid("log", "A warning logged by user code.", "LOG", 0,
          '{"level":30,"logger":"my.module","message":"disk almost full","thread":"MainThread",'
          '"time":1764331200.125,"exc":null}',
          M(("level", I(30)), ("logger", S("my.module")), ("message", S("disk almost full")),
            ("thread", S("MainThread")), ("time", F("1764331200.125")), ("exc", N())))

    valid("fatal", "The adapter module could not be imported.", "FATAL", 0,
          '{"stage":"import","message":"ModuleNotFoundError: No module named \'nope\'","exception":{'
          '"type":"ModuleNotFoundError","module":"builtins","message":"No module named \'nope\'","frames":[],'
          '"traceback":"ModuleNotFoundError: No module named \'nope\'\\n","cause":null,"context":null,'
          '"suppress_context":false}}',
          M(("stage", S("import")), ("message", S("ModuleNotFoundError: No module named 'nope'")),
            ("exception", M(("type", S("ModuleNotFoundError")), ("module", S("builtins")),
                            ("message", S("No module named 'nope'")), ("frames", L()),
                            ("traceback", S("ModuleNotFoundError: No module named 'nope'\n")),
                            ("cause", N()), ("context", N()), ("suppress_context", B(False))))))

    valid("cancel", "The JVM cancels call 7 after its deadline.", "CANCEL", 7,
          '{"reason":"timeout"}', M(("reason", S("timeout"))))

    valid("empty_body", "A frame may have an empty body; it decodes to no value (null).", "SHUTDOWN", 0,
          "", N())

    valid("heartbeat", "The worker's 42nd heartbeat: the number in the request id, no body.", "HEARTBEAT", 42,
          "", N())

    valid("heartbeat_rtt", "Heartbeat 43, saying that beat 42 took 830 microseconds to be acknowledged.", "HEARTBEAT",
          43, '{"rtt_us":830}', M(("rtt_us", I(830))))

    valid("heartbeat_ack", "The JVM acknowledges heartbeat 42.", "HEARTBEAT_ACK", 42, "", N())

    valid("retire", "The worker received SIGTERM and asks to be replaced.", "RETIRE", 0,
          '{"reason":"received SIGTERM"}', M(("reason", S("received SIGTERM"))))

    ok = '{"tool":"x"}'
    invalid("oversize", "Declares 2 MiB, above the 1 MiB limit; rejected after reading 4 bytes.",
            struct.pack(">I", 2 << 20) + b"\x03", "oversize")
    invalid("length_mismatch", "The length field is 3 bytes larger than header, body and attachments.",
            frame(3, 1, ok, length_delta=3) + b"\x00\x00\x00", "length_mismatch")
    invalid("unknown_kind", "Kind 99 is not defined.", frame(99, 1, ok), "unknown_kind")
    invalid("reserved_nonzero", "The reserved field must be 0.", frame(3, 1, ok, reserved=1),
            "reserved_nonzero")
    invalid("truncated", "The stream ends in the middle of the body.", frame(3, 1, ok)[:-4], "truncated")
    invalid("short_length", "A length below the 20-byte fixed header.", struct.pack(">I", 8) + bytes(8),
            "length_mismatch")
    invalid("bad_tag", "A TAGGED frame whose tag points past the attachments.",
            frame(3, 1, '{"tool":"x","args":[{"$b":1}]}', (b"ab",), flags=TAGGED), "bad_tag")
    invalid("bad_tag_value", "A TAGGED frame whose tag is not an integer.",
            frame(3, 1, '{"tool":"x","args":[{"$b":"0"}]}', (b"ab",), flags=TAGGED), "bad_tag")
    invalid("bad_array_size", "An array tag whose shape needs 16 bytes, with an attachment of 8.",
            frame(3, 1, '{"tool":"x","args":[{"$nd":{"dtype":"float64","shape":[2],"byteorder":"little",'
                        '"data":{"$b":0}}}]}', (bytes(8),), flags=TAGGED), "bad_tag")
    invalid("bad_array_dtype", "An array tag of a dtype the protocol does not define.",
            frame(3, 1, '{"tool":"x","args":[{"$nd":{"dtype":"complex128","shape":[1],"byteorder":"little",'
                        '"data":{"$b":0}}}]}', (bytes(16),), flags=TAGGED), "bad_tag")

    invalid("bad_arrow_tag", "An Arrow tag whose value is a number, not a bytes tag.",
            frame(3, 1, '{"tool":"x","args":[{"$arrow":0}]}', flags=TAGGED), "bad_tag")

    valid("call_shm_lookalike", "A user's map that looks like a shared-memory tag, escaped with one more $.",
          "CALL", 1, '{"tool":"x","args":[{"$$shm":{"name":"j-1","size":3}}]}',
          M(("tool", S("x")), ("args", L(M(("$shm", M(("name", S("j-1")), ("size", I(3)))))))), flags=TAGGED)
    invalid("bad_shm_missing_size", "A shared-memory tag without its size.",
            frame(3, 1, '{"tool":"x","args":[{"$shm":{"name":"j-1"}}]}', flags=TAGGED), "bad_tag")
    invalid("bad_shm_negative_size", "A shared-memory tag with a negative size.",
            frame(3, 1, '{"tool":"x","args":[{"$shm":{"name":"j-1","size":-1}}]}', flags=TAGGED), "bad_tag")
    invalid("bad_shm_name", "A shared-memory tag whose name holds a slash.",
            frame(3, 1, '{"tool":"x","args":[{"$shm":{"name":"../j-1","size":3}}]}', flags=TAGGED), "bad_tag")
    invalid("shm_missing_file", "A well-formed shared-memory tag naming a file that does not exist (nor, for a reader"
            " without shared memory, can).",
            frame(3, 1, '{"tool":"x","args":[{"$nd":{"dtype":"uint8","shape":[3],"byteorder":"little",'
                        '"data":{"$shm":{"name":"j-1","size":3}}}}]}', flags=TAGGED), "bad_tag")


if __name__ == "__main__":
    main()
