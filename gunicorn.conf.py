"""gunicorn settings for Huamu Dream Wishes, read from the environment (docs/deploy.md).

gunicorn loads this file by itself when started from the project folder:

    .venv/bin/gunicorn huamu.wsgi

Variables (all optional):

- BIND: where to listen, e.g. `127.0.0.1:8000`, `10.0.0.11:8000` or
  `unix:/run/huamu/gunicorn.sock`; several addresses separated by commas. Without it,
  `127.0.0.1:$PORT` (PORT defaults to 8000): only nginx on the same machine reaches it.
- WEB_CONCURRENCY: sync worker processes, default 2 (one or two per core; more gave
  nothing on a 2-core machine, see docs/benchmarks.md).
- GUNICORN_TIMEOUT: seconds a worker may spend on one request before it is restarted,
  default 60 (PDF exports of a whole campaign take a few seconds; nothing takes a minute).
- GUNICORN_MAX_REQUESTS: requests after which a worker is replaced, default 50000, with up
  to 10% jitter so that the workers do not all restart at once.
- FORWARDED_ALLOW_IPS: addresses of the reverse proxies trusted to say the request came
  over HTTPS (X-Forwarded-Proto), default `127.0.0.1,::1`. Django trusts the same headers
  only with BEHIND_PROXY=true.

The access log leaves out query strings, referrers and client addresses: a search can hold
a child's or a sponsor's name, and nginx keeps the addresses under its own retention.
"""

import os
import re

from gunicorn.glogging import Logger


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, not {raw!r}") from None
    if value < 1:
        raise SystemExit(f"{name} must be at least 1, not {value}")
    return value


_bind = os.environ.get("BIND", "").strip()
bind = (
    [address.strip() for address in _bind.split(",") if address.strip()]
    if _bind
    else [f"127.0.0.1:{_int('PORT', 8000)}"]
)

wsgi_app = "huamu.wsgi:application"
proc_name = "huamu"
worker_class = "sync"
workers = _int("WEB_CONCURRENCY", 2)
timeout = _int("GUNICORN_TIMEOUT", 60)
# Time for a worker to finish the request in hand on a restart or a deploy.
graceful_timeout = 30
# Replacing workers now and then returns memory that image decoding and PDFs left behind.
# Replacing a worker costs a Django start-up; at 1,000 a busy server restarted workers twice
# a second and lost half its throughput (docs/benchmarks.md).
max_requests = _int("GUNICORN_MAX_REQUESTS", 50_000)
max_requests_jitter = max(1, max_requests // 10)
# The workers' heartbeat files: on a disk-backed /tmp a busy disk stalls them and gunicorn
# kills healthy workers; /dev/shm is memory.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Both logs to stdout/stderr: systemd's journal keeps them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Time, worker, request without its query string, status, bytes, duration, request id (the
# id on the application's own log lines of the same request).
access_log_format = '%(t)s %(p)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'

# Django's password-reset links carry a secret in the path: /accounts/reset/<uid>/<token>/.
_RESET_LINK = re.compile(r"(/reset/)[^/]+/[^/]+/")


def _redacted_path(path: str) -> str:
    return _RESET_LINK.sub(r"\1*/*/", path or "")


class PrivateAccessLogger(Logger):
    """gunicorn's logger with every query string, referrer and reset token left out.

    Whatever `access_log_format` an operator writes, `%(r)s`, `%(U)s`, `%(q)s` and `%(f)s`
    hold no query string and no password-reset token.
    """

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = _redacted_path(environ.get("PATH_INFO", ""))
        atoms["U"] = path
        atoms["r"] = f"{environ.get('REQUEST_METHOD')} {path} {environ.get('SERVER_PROTOCOL')}"
        atoms["q"] = "-"
        referrer = environ.get("HTTP_REFERER")
        atoms["f"] = _redacted_path(referrer.split("?", 1)[0]) if referrer else "-"
        if "{referer}i" in atoms:
            atoms["{referer}i"] = atoms["f"]
        return atoms


logger_class = PrivateAccessLogger


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR set, a finished worker's live gauges stop counting."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
