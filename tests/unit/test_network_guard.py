import socket

import pytest

from tests.conftest import InternetBlocked


def test_connection_to_a_public_address_is_refused_before_it_leaves() -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(InternetBlocked):
            s.connect(("93.184.216.34", 80))
    finally:
        s.close()


def test_resolving_a_public_name_is_refused() -> None:
    with pytest.raises(InternetBlocked):
        socket.getaddrinfo("example.org", 443)


def test_loopback_is_allowed() -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    c = socket.socket()
    try:
        c.connect(srv.getsockname())
    finally:
        c.close()
        srv.close()
