"""The SMS kit: backends chosen by setting, templates in the recipient's language, after commit."""

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from huamu import sms
from huamu.phones import mask_phone


class _RefusingBackend:
    def send_messages(self, messages):
        raise sms.SmsError("quota exceeded")


def test_locmem_backend_keeps_the_message_with_its_rendered_text(sms_outbox):
    sms.send_sms(phone="13812345678", template="test_message", params={"word": "甲"})

    [message] = sms_outbox
    assert message.phone == "13812345678"
    assert message.template == "test_message"
    assert "甲" in message.text
    assert "花木圆梦" in message.text


def test_message_text_follows_the_recipients_language(sms_outbox):
    sms.send_sms(phone="13812345678", template="test_message", params={"word": "x"}, language="en")
    sms.send_sms(
        phone="13812345678", template="test_message", params={"word": "x"}, language="zh-hans"
    )

    english, chinese = sms_outbox
    assert "This is a test message" in english.text
    assert "This is a test message" not in chinese.text


def test_console_backend_prints_a_masked_number(settings, capsys):
    settings.SMS_BACKEND = "console"
    sms.send_sms(phone="13812345678", template="test_message", params={"word": "ok"})

    printed = capsys.readouterr().out
    assert "138****5678" in printed
    assert "13812345678" not in printed


def test_unknown_template_fails_before_anything_is_sent(sms_outbox):
    from django.template import TemplateDoesNotExist

    with pytest.raises(TemplateDoesNotExist):
        sms.send_sms(phone="13812345678", template="no_such_template")
    assert sms_outbox == []


@pytest.mark.django_db(transaction=True)
def test_after_commit_waits_for_the_commit_and_is_dropped_on_rollback(sms_outbox):
    with transaction.atomic():
        sms.send_sms_after_commit(
            phone="13812345678", template="test_message", params={"word": "a"}
        )
        assert sms_outbox == []
    assert len(sms_outbox) == 1

    with pytest.raises(RuntimeError), transaction.atomic():
        sms.send_sms_after_commit(
            phone="13812345678", template="test_message", params={"word": "b"}
        )
        raise RuntimeError
    assert len(sms_outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_provider_outage_after_commit_is_logged_not_raised(settings, caplog):
    settings.SMS_BACKEND = f"{__name__}._RefusingBackend"
    with transaction.atomic():
        sms.send_sms_after_commit(
            phone="13812345678", template="test_message", params={"word": "a"}
        )

    assert "Could not send the test_message text message" in caplog.text


def test_send_test_sms_command(sms_outbox):
    call_command("send_test_sms", "138 1234 5678")
    assert [message.phone for message in sms_outbox] == ["13812345678"]

    with pytest.raises(CommandError):
        call_command("send_test_sms", "021-12345678")
    with pytest.raises(CommandError):
        call_command("send_test_sms", "not a number")
    assert len(sms_outbox) == 1


def test_send_test_sms_command_reports_a_refusal(settings):
    settings.SMS_BACKEND = f"{__name__}._RefusingBackend"
    with pytest.raises(CommandError, match="quota exceeded"):
        call_command("send_test_sms", "13812345678")


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("021-12345678") == "****78"
    assert mask_phone("") == "****"
