"""A free TCP port on localhost, for the master of a multi-process test."""
import socket


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
