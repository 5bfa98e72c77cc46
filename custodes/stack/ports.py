"""Is a TCP port on the loopback free for us to listen on?

Checked before starting a service, so that a port held by some other program
gives a clear error at once instead of a broker that never answers.
"""
from __future__ import annotations

import socket

from custodes.stack.errors import StackError


class PortTaken(StackError):
    """A port the stack needs is held by a program that is not our service."""


def port_is_free(host: str, port: int) -> bool:
    """True when we could bind `host:port` now.

    SO_REUSEADDR lets a port in TIME_WAIT (a service we just stopped) count as
    free, while a listener or any other bound socket still makes bind fail.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def ensure_port_free(host: str, port: int, service: str) -> None:
    """Raise `PortTaken` with what to do when `host:port` cannot be bound."""
    if not port_is_free(host, port):
        raise PortTaken(
            f"{host}:{port} is needed by {service} but is already in use by another "
            f"program that does not answer as {service}. Find it with "
            f"`ss -ltnp 'sport = :{port}'` and stop it, then run `custodes stack up` again."
        )
