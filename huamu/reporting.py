"""Error reports that reach the developers without a child's data.

With `SENTRY_DSN` set, errors go to Sentry (`init_error_reporting`, called by the settings);
without it, Django mails them to `ADMINS`. Both see only what is scrubbed here: no request
body, cookies, query string or stack-frame variables (a frame of a failing save holds the
child being saved), and the exception's own text with numbers, e-mail addresses, Chinese
text and the values a database quotes in its error replaced. The request id ties a report to
the log lines of the same request.
"""

import re
from typing import Any

from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

SCRUBBED = "[scrubbed]"

_DB_VALUES = re.compile(r"(Key \([^)]*\))=\((?:[^()]|\([^()]*\))*\)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Seven digits or more, perhaps grouped by spaces, dots or dashes: phones, ID numbers.
_NUMBER = re.compile(r"(?<![\w])\d(?:[\s.-]?\d){6,}[\dXx]?(?![\w])")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+")
_KEPT_HEADERS = {"user-agent", "content-type", "content-length", "x-request-id", "host"}


def scrub_text(text: str) -> str:
    """The text with whatever could be a child's data replaced by `[scrubbed]`."""
    text = _DB_VALUES.sub(rf"\1=({SCRUBBED})", text)
    text = _EMAIL.sub(SCRUBBED, text)
    text = _NUMBER.sub(SCRUBBED, text)
    return _CJK.sub(SCRUBBED, text)


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sentry's `before_send`: the event with everything private taken out or scrubbed."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        headers = request.get("headers")
        if isinstance(headers, dict):
            request["headers"] = {
                name: value for name, value in headers.items() if name.lower() in _KEPT_HEADERS
            }
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    for exception in (event.get("exception") or {}).get("values") or []:
        if isinstance(exception.get("value"), str):
            exception["value"] = scrub_text(exception["value"])
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        for key in ("message", "formatted"):
            if isinstance(logentry.get(key), str):
                logentry[key] = scrub_text(logentry[key])
        logentry.pop("params", None)
    if isinstance(event.get("message"), str):
        event["message"] = scrub_text(event["message"])
    breadcrumbs = event.get("breadcrumbs")
    crumbs = breadcrumbs.get("values", []) if isinstance(breadcrumbs, dict) else breadcrumbs or []
    for crumb in crumbs:
        crumb.pop("data", None)
        if isinstance(crumb.get("message"), str):
            crumb["message"] = scrub_text(crumb["message"])
    event.pop("extra", None)
    return event


def init_error_reporting(
    *,
    dsn: str,
    environment: str,
    release: str,
    traces_sample_rate: float,
    transport: Any = None,
) -> None:
    """Start Sentry with nothing collected that could describe a child or a sponsor."""
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    from huamu.request_id import current_request_id

    def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
        event.setdefault("tags", {})["request_id"] = current_request_id()
        return scrub_event(event, hint)

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        integrations=[DjangoIntegration()],
        traces_sample_rate=traces_sample_rate,
        max_request_body_size="never",
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_headers": {"request": {"mode": "allowlist", "terms": sorted(_KEPT_HEADERS)}},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            "stack_frame_variables": False,
        },
        before_send=before_send,  # type: ignore[arg-type]
        **({"transport": transport} if transport is not None else {}),
    )


class PrivateReporterFilter(SafeExceptionReporterFilter):
    """For the error mails to ADMINS: no POST values, no frame variables, no query string."""

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return dict.fromkeys(request.POST, self.cleansed_substitute)

    def get_traceback_frame_variables(self, request, tb_frame):
        return [(name, self.cleansed_substitute) for name in tb_frame.f_locals]

    def get_safe_request_meta(self, request):
        meta = super().get_safe_request_meta(request)
        for key in list(meta):
            if key not in {"REQUEST_METHOD", "PATH_INFO", "SERVER_NAME", "HTTP_USER_AGENT"}:
                meta[key] = self.cleansed_substitute
        return meta

    def get_safe_cookies(self, request):
        return dict.fromkeys(getattr(request, "COOKIES", {}), self.cleansed_substitute)


class PrivateExceptionReporter(ExceptionReporter):
    """The error mail's text with the request's query, files, user and exception scrubbed."""

    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        if self.request is not None:
            data["request_GET_items"] = [(name, SCRUBBED) for name in self.request.GET]
            data["request_FILES_items"] = [(name, SCRUBBED) for name in self.request.FILES]
            data["request_insecure_uri"] = str(data.get("request_insecure_uri", "")).split("?")[0]
            user_id = getattr(getattr(self.request, "user", None), "pk", None)
            data["user_str"] = f"user #{user_id}" if user_id else "anonymous"
        if "exception_value" in data:
            data["exception_value"] = scrub_text(str(data["exception_value"]))
        if "exception_notes" in data:
            data["exception_notes"] = scrub_text(str(data["exception_notes"]))
        for frame in data.get("frames", []):
            if frame.get("exc_cause") is not None:
                frame["exc_cause"] = scrub_text(str(frame["exc_cause"]))
        return data
