"""The Tencent Cloud SMS backend, through the provider's SDK, against a local fake of its API.

The fake answers the SDK's `POST /` with `X-TC-Action: SendSms` (API 2021-01-11, a JSON
body) the way the provider does: `{"Response": {"SendStatusSet": [...], "RequestId": ...}}`,
or `{"Response": {"Error": {"Code", "Message"}, "RequestId"}}` for a refused call. It does
not check the TC3 signature, only that one is there.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import CommandError, call_command
from django.tasks.backends.immediate import ImmediateBackend

from huamu import sms
from huamu.sms.tasks import deliver_sms

MOBILE = "13812345678"


class QueueNow(ImmediateBackend):
    """A task queue for the tests: runs each task at once, but says it could run it later
    (as django-tasks-db does), so deliver_sms retries as it would in a worker."""

    supports_defer = True


class FakeTencent(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict] = []
        # What the next calls answer, in turn; the last one repeats.
        self.answers: list[str] = ["ok"]
        self.release = threading.Event()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def next_answer(self) -> str:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class _Handler(BaseHTTPRequestHandler):
    server: FakeTencent

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        pass

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        body = json.loads(self.rfile.read(length))
        self.server.requests.append({"headers": dict(self.headers), "body": body})
        answer = self.server.next_answer()
        if answer == "hang":
            self.server.release.wait(10)
            return
        phone = body["PhoneNumberSet"][0]
        if answer == "ok":
            status = {"Code": "Ok", "Message": "send success"}
            response = {"SendStatusSet": [{"PhoneNumber": phone, "SerialNo": "2640:1", **status}]}
        elif answer == "number":
            status = {"Code": "LimitExceeded.PhoneNumberDailyLimit", "Message": "daily limit"}
            response = {"SendStatusSet": [{"PhoneNumber": phone, "SerialNo": "", **status}]}
        else:
            code = {
                "refuse": "FailedOperation.TemplateIncorrectOrUnapproved",
                "auth": "AuthFailure.SecretIdNotFound",
                "internal": "InternalError.Timeout",
            }[answer]
            response = {"Error": {"Code": code, "Message": f"fake {answer}"}}
        data = json.dumps({"Response": {**response, "RequestId": "fake-request"}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def fake(settings, monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    server = FakeTencent()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "tencent"
    settings.TENCENT_SMS_SECRET_ID = "AKIDtest"
    settings.TENCENT_SMS_SECRET_KEY = "test-secret"
    settings.TENCENT_SMS_APP_ID = "1400000001"
    settings.TENCENT_SMS_SIGN = "花木圆梦"
    settings.TENCENT_SMS_REGION = "ap-guangzhou"
    settings.TENCENT_SMS_ENDPOINT = server.endpoint
    settings.TENCENT_SMS_SCHEME = "http"
    settings.TENCENT_SMS_TIMEOUT = 1
    settings.SMS_TEMPLATE_IDS = {
        "test_message": "100001",
        "claim_confirmed": "100002",
        "claim_confirmed:en": "200002",
    }
    settings.SMS_RETRY_DELAYS = [0, 0]
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def queue(settings):
    settings.TASKS = {"default": {"BACKEND": f"{__name__}.QueueNow"}}


def test_a_message_goes_out_as_the_sdks_send_sms_call(fake):
    sms.send_sms(phone=MOBILE, template="test_message", params={"word": "好"})

    [request] = fake.requests
    headers = request["headers"]
    assert headers["X-TC-Action"] == "SendSms"
    assert headers["X-TC-Version"] == "2021-01-11"
    assert headers["X-TC-Region"] == "ap-guangzhou"
    assert headers["Authorization"].startswith("TC3-HMAC-SHA256 Credential=AKIDtest/")
    assert request["body"] == {
        "PhoneNumberSet": ["+8613812345678"],
        "SmsSdkAppId": "1400000001",
        "SignName": "花木圆梦",
        "TemplateId": "100001",
        "TemplateParamSet": ["好"],
    }


def test_parameters_go_in_the_templates_order_and_english_readers_get_its_english_id(fake):
    sms.send_sms(
        phone=MOBILE,
        template="claim_confirmed",
        params={"count": "2", "code": "HM-2026-0001"},
        language="en",
    )
    sms.send_sms(
        phone=MOBILE,
        template="claim_confirmed",
        params={"count": "2", "code": "HM-2026-0001"},
        language="zh-hans",
    )

    english, chinese = (r["body"] for r in fake.requests)
    assert english["TemplateParamSet"] == ["HM-2026-0001", "2"]
    assert (english["TemplateId"], chinese["TemplateId"]) == ("200002", "100002")


@pytest.mark.parametrize(
    "answer, code, retry",
    [
        ("refuse", "FailedOperation.TemplateIncorrectOrUnapproved", False),
        ("auth", "AuthFailure.SecretIdNotFound", False),
        ("number", "LimitExceeded.PhoneNumberDailyLimit", False),
        ("internal", "InternalError.Timeout", True),
    ],
)
def test_a_refusal_is_an_sms_error_that_says_whether_to_retry(fake, answer, code, retry):
    fake.answers = [answer]
    with pytest.raises(sms.SmsError, match=code) as raised:
        sms.send_sms(phone=MOBILE, template="test_message", params={"word": "x"})
    assert raised.value.retry is retry
    assert MOBILE not in str(raised.value)


def test_a_hanging_provider_is_given_up_after_the_timeout(fake):
    fake.answers = ["hang"]
    with pytest.raises(sms.SmsError, match="ClientNetworkError") as raised:
        sms.send_sms(phone=MOBILE, template="test_message", params={"word": "x"})
    assert raised.value.retry is True


def test_a_template_without_an_id_is_refused_before_the_provider(fake):
    with pytest.raises(sms.SmsError, match="SMS_TEMPLATE_IDS has no id for the template"):
        sms.send_sms(phone=MOBILE, template="wish_fulfilled", params={"code": "HM-1"})
    assert fake.requests == []


def test_missing_credentials_are_an_sms_error_the_test_command_reports(fake, settings):
    settings.TENCENT_SMS_SECRET_KEY = ""
    with pytest.raises(CommandError, match="TENCENT_SMS_SECRET_KEY missing"):
        call_command("send_test_sms", MOBILE)
    assert fake.requests == []


def test_the_test_command_sends_through_the_provider(fake):
    call_command("send_test_sms", "138 1234 5678")
    assert [r["body"]["PhoneNumberSet"] for r in fake.requests] == [["+8613812345678"]]


def _deliver(template="test_message", params=None):
    return deliver_sms.enqueue(
        phone=MOBILE, template=template, params=params or {"word": "x"}, language="zh-hans"
    ).return_value


def test_a_queue_retries_an_outage_until_the_provider_takes_it(fake, queue, caplog):
    fake.answers = ["internal", "hang", "ok"]

    assert _deliver() is True
    assert len(fake.requests) == 3
    assert "trying again" in caplog.text
    assert MOBILE not in caplog.text


def test_a_queue_gives_up_after_its_tries_and_logs_it(fake, queue, caplog):
    fake.answers = ["internal"]

    assert _deliver() is False
    assert len(fake.requests) == 3
    assert "Could not send the test_message text message to 138****5678 (try 3)" in caplog.text


def test_a_refusal_is_not_retried(fake, queue, caplog):
    fake.answers = ["refuse"]

    assert _deliver() is False
    assert len(fake.requests) == 1
    assert "(try 1)" in caplog.text


def test_without_a_queue_a_text_is_tried_once_inside_the_request(fake, caplog):
    fake.answers = ["internal", "ok"]

    assert _deliver() is False
    assert len(fake.requests) == 1
    assert "Could not send the test_message text message" in caplog.text


def test_the_system_check_says_what_the_tencent_backend_lacks(settings):
    from huamu.sms.checks import check_sms_settings, sms_templates

    settings.SMS_BACKEND = "console"
    assert check_sms_settings() == []

    settings.SMS_BACKEND = "tencent"
    settings.TENCENT_SMS_SECRET_ID = "AKIDtest"
    settings.TENCENT_SMS_SECRET_KEY = ""
    settings.TENCENT_SMS_APP_ID = "1400000001"
    settings.SMS_TEMPLATE_IDS = {"test_message": "1"}
    found = {message.id: message.msg for message in check_sms_settings()}
    assert found["huamu.E102"] == "SMS_BACKEND=tencent needs TENCENT_SMS_SECRET_KEY"
    assert "claim_confirmed" in found["huamu.W103"]
    assert "test_message" not in found["huamu.W103"]

    settings.TENCENT_SMS_SECRET_KEY = "test-secret"
    settings.SMS_TEMPLATE_IDS = dict.fromkeys(sms_templates(), "1")
    assert check_sms_settings() == []
