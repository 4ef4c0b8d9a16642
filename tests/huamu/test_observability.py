"""Seeing production: request ids on log lines, scrubbed error reports, guarded metrics.

A view here fails while it holds a child whose private fields carry markers, with the
markers in the request's form, query string and in the exception's own text (as a
database's "Key (…)=(…)" quotes them). No log line, error mail or Sentry event may carry
one.
"""

import io
import json
import logging

import pytest
from django.core import mail
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

from huamu.reporting import SCRUBBED, scrub_event, scrub_text
from huamu.request_id import JsonFormatter, RequestIdFilter, TextFormatter
from tests.factories import ChildFactory
from wishes.models import Child

REAL_NAME = "王秘密"
ADDRESS = "锦绣苑七号楼"
PHONE = "13912345678"
EMAIL = "wang.parent@example.org"
SPACED_PHONE = "139 1234 5678"
MARKERS = [REAL_NAME, ADDRESS, PHONE, EMAIL, SPACED_PHONE]

logger = logging.getLogger("tests.observability")


def boom(request: HttpRequest) -> HttpResponse:
    child = Child.objects.get(real_name=REAL_NAME)  # a frame variable holding the child
    logger.info("saving child %s", child.pk)
    raise IntegrityError(
        'duplicate key value violates unique constraint "child_guardian"\n'
        f"DETAIL:  Key (real_name, guardian_phone)=({child.real_name}, {child.guardian_phone}) "
        f"already exists. Address {child.address}, mail {EMAIL}, phone {SPACED_PHONE}"
    )


def logs(request: HttpRequest) -> HttpResponse:
    logger.info("a line inside the request")
    return HttpResponse("ok")


urlpatterns = [path("boom/", boom), path("logs/", logs), path("", include("huamu.urls"))]
handler500 = "huamu.middleware.server_error"


def leaks(text: str) -> list[str]:
    return [marker for marker in MARKERS if marker in text]


@pytest.fixture
def secret_child(db):
    return ChildFactory(real_name=REAL_NAME, address=ADDRESS, guardian_phone=PHONE)


@pytest.fixture
def captured_logs():
    """Records of the test logger and django.request, formatted as production does."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    loggers = [logging.getLogger("tests.observability"), logging.getLogger("django.request")]
    for each in loggers:
        each.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    for each in loggers:
        each.removeHandler(handler)


def failing_request(client: Client):
    return client.post(
        f"/boom/?q={REAL_NAME}&phone={PHONE}",
        {"real_name": REAL_NAME, "guardian_phone": PHONE, "address": ADDRESS},
        HTTP_X_REQUEST_ID="nginx-req-0123456789",
    )


# --- request ids -----------------------------------------------------------------------------


@pytest.mark.urls(__name__)
def test_every_response_says_its_request_id_and_the_log_lines_carry_it(client, captured_logs):
    first = client.get("/logs/")
    second = client.get("/logs/")

    ids = [first["X-Request-ID"], second["X-Request-ID"]]
    assert len(set(ids)) == 2 and all(len(each) == 32 for each in ids)
    lines = [json.loads(line) for line in captured_logs.getvalue().splitlines()]
    assert [line["request_id"] for line in lines] == ids
    assert lines[0]["message"] == "a line inside the request"
    assert lines[0]["level"] == "INFO" and lines[0]["logger"] == "tests.observability"


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    "offered, kept",
    [
        ("nginx-req-0123456789", True),
        ("abc", False),  # too short to be an id
        ("x" * 65, False),
        ("id with spaces 1234", False),
        ("id;drop\r\nSet-Cookie: a=b", False),
    ],
)
def test_an_offered_request_id_is_kept_only_when_it_looks_like_one(client, offered, kept):
    response = client.get("/logs/", HTTP_X_REQUEST_ID=offered)
    assert (response["X-Request-ID"] == offered) is kept
    assert "\n" not in response["X-Request-ID"]


def test_outside_a_request_the_id_is_a_dash():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    RequestIdFilter().filter(record)
    assert record.request_id == "-"
    assert "[-] x: hello" in TextFormatter().format(record)


# --- scrubbing -------------------------------------------------------------------------------


def test_scrub_text_takes_out_what_could_be_a_childs_data():
    text = (
        "DETAIL:  Key (real_name)=(Wang Mimi (小美)) already exists. Call 13912345678 or "
        "139-1234-5678, ID 31011520100101123X, mail wang@example.org, 王秘密 in 三(2)班; "
        'File "/srv/huamu/wishes/models.py", line 123, in save; wish 4521'
    )
    scrubbed = scrub_text(text)

    for secret in ["Wang Mimi", "小美", "13912345678", "139-1234-5678", "31011520100101123X"]:
        assert secret not in scrubbed
    for secret in ["wang@example.org", "王秘密", "三(2)班"]:
        assert secret not in scrubbed
    assert "Key (real_name)=([scrubbed])" in scrubbed
    assert "line 123" in scrubbed and "wish 4521" in scrubbed and "models.py" in scrubbed


@pytest.mark.urls(__name__)
def test_the_log_lines_of_a_failing_request_are_scrubbed(secret_child, captured_logs):
    client = Client(raise_request_exception=False)
    response = failing_request(client)

    assert response.status_code == 500
    text = captured_logs.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    error = next(line for line in lines if line["logger"] == "django.request")
    assert error["request_id"] == "nginx-req-0123456789"
    assert "IntegrityError" in error["exception"]
    assert leaks(text) == []


@pytest.mark.urls(__name__)
def test_the_error_mail_to_admins_carries_nothing_of_the_child(settings, secret_child):
    settings.ADMINS = ["Ops <ops@huamu.example>"]
    client = Client(raise_request_exception=False)
    response = failing_request(client)

    assert response.status_code == 500
    [message] = mail.outbox
    assert message.to == ["Ops <ops@huamu.example>"]
    assert "IntegrityError" in message.body and "/boom/" in message.body
    everything = (
        message.subject
        + message.body
        + "".join(str(part[0]) for part in getattr(message, "alternatives", []))
    )
    assert leaks(everything) == []
    assert SCRUBBED in message.body


def test_scrub_event_strips_the_request_and_frame_variables():
    event = {
        "request": {
            "url": f"https://huamu.example/wishes/?q={REAL_NAME}",
            "query_string": f"q={REAL_NAME}",
            "data": {"real_name": REAL_NAME},
            "cookies": {"sessionid": "abc"},
            "headers": {"User-Agent": "Firefox", "Cookie": "sessionid=abc", "Referer": "x"},
            "env": {"REMOTE_ADDR": "1.2.3.4"},
        },
        "user": {"id": 7, "username": "wang", "email": EMAIL, "ip_address": "1.2.3.4"},
        "exception": {
            "values": [
                {
                    "type": "IntegrityError",
                    "value": f"Key (real_name)=({REAL_NAME}) already exists",
                    "stacktrace": {"frames": [{"function": "save", "vars": {"x": PHONE}}]},
                }
            ]
        },
        "logentry": {
            "message": "saving %s",
            "params": [REAL_NAME],
            "formatted": f"saving {PHONE}",
        },
        "breadcrumbs": {"values": [{"message": f"SELECT '{REAL_NAME}'", "data": {"p": PHONE}}]},
        "extra": {"child": REAL_NAME},
    }
    scrubbed = scrub_event(event)

    assert leaks(json.dumps(scrubbed, ensure_ascii=False)) == []
    assert scrubbed["request"]["url"] == "https://huamu.example/wishes/"
    assert scrubbed["request"]["headers"] == {"User-Agent": "Firefox"}
    assert scrubbed["user"] == {"id": 7}
    assert scrubbed["exception"]["values"][0]["type"] == "IntegrityError"


@pytest.mark.urls(__name__)
def test_a_sentry_event_of_a_failing_request_carries_nothing_of_the_child(secret_child):
    import sentry_sdk
    from sentry_sdk.transport import Transport

    from huamu import reporting

    sent = []

    class Keep(Transport):
        def capture_envelope(self, envelope):
            sent.append(envelope.serialize().decode("utf-8", "replace"))

    reporting.init_error_reporting(
        dsn="https://public@sentry.invalid/1",
        environment="test",
        release="",
        traces_sample_rate=0.0,
        transport=Keep,
    )
    try:
        client = Client(raise_request_exception=False)
        response = failing_request(client)
        sentry_sdk.flush()
    finally:
        sentry_sdk.init(dsn=None)

    assert response.status_code == 500
    events = [
        envelope
        for envelope in sent
        if '"type":"event"' in envelope or "IntegrityError" in envelope
    ]
    assert events, "the failing request was not reported"
    report = "".join(events)
    assert "IntegrityError" in report
    assert "nginx-req-0123456789" in report  # the request id is a tag of the event
    assert leaks(report) == []


# --- metrics ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_answer_this_machine_and_no_one_else(client, settings, sponsor):
    client.get("/")
    own = client.get("/metrics")
    assert own.status_code == 200
    assert "django_http_requests_total_by_method_total" in own.content.decode()
    assert "no-cache" in own["Cache-Control"] or "max-age=0" in own["Cache-Control"]

    # Through nginx (which connects from this machine too) and from elsewhere: as if absent.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404
    assert client.get("/metrics", HTTP_X_REAL_IP="203.0.113.9").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.5").status_code == 404
    client.force_login(sponsor)
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 404

    import ipaddress

    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    assert client.get("/metrics", REMOTE_ADDR="10.0.0.5").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
