"""gRPC baseline: a grpcio server with one unary method that answers its request unchanged.

Usage: python grpc_noop_server.py

The transport of the original design, measured against Snakepit's. No generated code: the method is
registered through a generic handler whose messages are raw bytes, so the server does what a
protobuf service with an empty message would, minus (de)serialising nothing. It listens on a free
loopback port, prints "ready PORT", and exits when its stdin (held by the JVM) reaches EOF.
"""
import os
import sys
import threading
from concurrent import futures

import grpc

SERVICE = "snakepit.bench.Noop"
METHOD = "Call"


def _echo(request: bytes, context: grpc.ServicerContext) -> bytes:
    return request


def main() -> int:
    handler = grpc.method_handlers_generic_handler(SERVICE, {
        METHOD: grpc.unary_unary_rpc_method_handler(_echo),
    })
    # One worker thread: calls are sequential, as on the other sides of the comparison.
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=1))
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print("ready %d" % port, flush=True)
    while os.read(0, 4096):
        pass
    server.stop(grace=None)
    return 0


if __name__ == "__main__":
    threading.current_thread().name = "grpc-noop-main"
    sys.exit(main())
