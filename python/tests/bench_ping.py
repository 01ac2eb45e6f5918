"""Times no-op call round trips through the fake JVM; informative, not part of the suite.

Run from python/:  python3 tests/bench_ping.py [calls]
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    jvm = harness.FakeJvm()
    try:
        jvm.start()
        for _ in range(500):  # warm up
            jvm.call("ping")
        for tool, args in (("ping", []), ("add", [1, 2]), ("echo", [{"a": [1, 2.5, "x"]}])):
            samples = []
            for _ in range(calls):
                started = time.perf_counter()
                jvm.reply(jvm.send_call(tool, args))
                samples.append(time.perf_counter() - started)
            samples.sort()
            print("%-5s calls=%d median=%.1f us p99=%.1f us" % (
                tool, calls, statistics.median(samples) * 1e6, samples[int(len(samples) * 0.99)] * 1e6))
    finally:
        jvm.close()


if __name__ == "__main__":
    main()
