"""`announce_server` says where the site serves only once the port answers."""

import io
import socket

import pytest
from django.core.management import CommandError, call_command


def test_it_announces_once_the_port_answers():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        out = io.StringIO()

        call_command("announce_server", port=port, timeout=5, stdout=out)

    assert f"http://127.0.0.1:{port}/" in out.getvalue()
    # In the site's language, like the rest of `make run`.
    assert "已启动" in out.getvalue()


def test_it_announces_nothing_when_no_server_comes_up():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = io.StringIO()

    with pytest.raises(CommandError):
        call_command("announce_server", port=port, timeout=0.3, stdout=out)

    assert "http://" not in out.getvalue()
