"""`manage.py announce_server --port 8000`: wait until the development server answers on the
port, then say where it serves. `make run` starts it beside runserver, so the address is
printed once the site is really up, not before."""

import socket
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _


def port_is_open(host: str, port: int) -> bool:
    """Whether something accepts connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Command(BaseCommand):
    help = "Wait until the server answers on the port, then print where it serves."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait")

    def handle(self, *args, host: str, port: int, timeout: float, **options) -> None:
        """Poll the port until it opens or the timeout passes."""
        deadline = time.monotonic() + timeout
        while not port_is_open(host, port):
            if time.monotonic() > deadline:
                raise CommandError(
                    _("The server did not start on %(host)s:%(port)s within %(seconds)d s.")
                    % {"host": host, "port": port, "seconds": timeout}
                )
            time.sleep(0.2)
        url = f"http://{host}:{port}/"
        self.stdout.write("")
        self.stdout.write(
            _("Huamu Dream Wishes is running on %(url)s (back office: %(admin)s)")
            % {"url": url, "admin": f"{url}admin/"}
        )
