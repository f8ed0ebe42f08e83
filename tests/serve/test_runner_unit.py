"""check_port: another program listening on the port is refused with a clear message; the
connections a gateway that just stopped leaves in TIME_WAIT do not hold the port."""

from __future__ import annotations

import socket

import pytest

from og_tui.core.errors import ValidationError
from og_tui.serve.runner import check_port


def _listener() -> socket.socket:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen()
    return s


def test_a_port_another_program_listens_on_is_refused():
    with _listener() as other:
        port = other.getsockname()[1]
        with pytest.raises(ValidationError) as exc:
            check_port("127.0.0.1", port)
    assert f"127.0.0.1:{port}" in str(exc.value) and "--port" in (exc.value.hint or "")


def test_the_port_of_a_server_that_just_stopped_is_free_again():
    server = _listener()
    port = server.getsockname()[1]
    client = socket.create_connection(("127.0.0.1", port))
    conn, _ = server.accept()
    conn.close()  # the server side closes first: its end of the connection stays in TIME_WAIT
    client.recv(1)
    client.close()
    server.close()
    check_port("127.0.0.1", port)  # no error
