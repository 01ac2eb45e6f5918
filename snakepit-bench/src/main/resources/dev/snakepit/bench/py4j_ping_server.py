"""Py4J reference: a Python object whose no-op method the JVM calls through Py4J.

Usage: python py4j_ping_server.py JAVA_PORT TOKEN_FILE

The JVM runs a Py4J GatewayServer on JAVA_PORT (loopback) that accepts only clients presenting the
token in TOKEN_FILE (a file only this user can read: a token on the command line would show in ps).
This script starts Py4J's callback server on a free loopback port with the same token and offers a
``Pinger`` as its entry point, which Java fetches and calls. It prints "ready PORT" (the callback
server's port, which the JVM points its callback client at) and exits when its stdin, held by the
JVM, reaches EOF.
"""
import os
import sys

from py4j.java_gateway import CallbackServerParameters, GatewayParameters, JavaGateway


class Pinger:
    """What Java sees as ``dev.snakepit.bench.Py4jSide.Pinger``."""

    def ping(self) -> None:
        """Does nothing: the cost of a call."""

    class Java:
        implements = ["dev.snakepit.bench.Py4jSide$Pinger"]


def main() -> int:
    java_port = int(sys.argv[1])
    with open(sys.argv[2], encoding="ascii") as f:
        token = f.read().strip()
    gateway = JavaGateway(
        gateway_parameters=GatewayParameters(address="127.0.0.1", port=java_port, auth_token=token),
        callback_server_parameters=CallbackServerParameters(
            address="127.0.0.1", port=0, auth_token=token, daemonize=True, daemonize_connections=True),
        python_server_entry_point=Pinger())
    print("ready %d" % gateway.get_callback_server().get_listening_port(), flush=True)
    try:
        while os.read(0, 4096):
            pass
    finally:
        gateway.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
