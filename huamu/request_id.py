"""A request id on every log line, and log lines as JSON for the log collector.

`RequestIdMiddleware` (first in MIDDLEWARE) takes the id nginx sends in `X-Request-ID` when it
looks like one, or makes a new one; every log record written while the request is handled
carries it (`RequestIdFilter`), the response says it back in `X-Request-ID`, and an error
report is tagged with it, so one line in a visitor's complaint finds every line about it.
Outside a request (commands, the task worker) the id is "-".
"""

import json
import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

from huamu.reporting import scrub_text

HEADER = "X-Request-ID"
_ACCEPTED = re.compile(r"[A-Za-z0-9_-]{8,64}")
_current: ContextVar[str] = ContextVar("request_id", default="-")


def current_request_id() -> str:
    """The id of the request being handled in this thread or task, or "-"."""
    return _current.get()


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get(HEADER, "")
        request_id = offered if _ACCEPTED.fullmatch(offered) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `record.request_id` to every record (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, request id, message, traceback.

    The message and the traceback are scrubbed like error reports: an exception raised on a
    child's record can quote its values (a database's "Key (…)=(…)", a phone number).
    """

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": scrub_text(record.getMessage()),
        }
        if record.exc_info:
            entry["exception"] = scrub_text(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The plain format for a terminal, with the request id and the same scrubbing."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = "-"
        scrubbed = logging.makeLogRecord(
            {**record.__dict__, "message": scrub_text(record.message)}
        )
        return super().formatMessage(scrubbed)

    def formatException(self, ei) -> str:
        return scrub_text(super().formatException(ei))
