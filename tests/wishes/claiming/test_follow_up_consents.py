"""The daily follow-up tells staff, in one short line, how many consents need renewing."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import ConsentFactory
from wishes.claiming.follow_up import follow_up_claims

pytestmark = pytest.mark.django_db

STAFF_MAILBOX = "office@huamu.example"


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.STAFF_NOTIFY_EMAILS = [STAFF_MAILBOX]
    settings.SITE_URL = "https://huamu.example"
    settings.LANGUAGE_CODE = "en"


def days(n: int) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=n)


def renewal_mails(mailoutbox) -> list:
    return [m for m in mailoutbox if "renew" in m.subject]


def test_staff_get_one_short_mail_for_the_consents_due_and_only_once(
    mailoutbox, django_capture_on_commit_callbacks
):
    due = [ConsentFactory(valid_until=days(5)) for _ in range(3)]
    ConsentFactory(given_on=days(-300), valid_until=days(-1))
    ConsentFactory(valid_until=days(200))

    with django_capture_on_commit_callbacks(execute=True):
        summary = follow_up_claims()

    assert summary.consents_to_renew == 4
    [mail] = renewal_mails(mailoutbox)
    assert mail.to == [STAFF_MAILBOX]
    assert "4 guardians' consents" in mail.subject
    assert "https://huamu.example/admin/wishes/consent/?renewal=due" in mail.body
    # One line about them all, never a row per consent (nor any child's name).
    assert "4 guardians' consents have expired or expire within 30 days" in mail.body
    for consent in due:
        assert consent.child.real_name not in mail.body
        assert consent.child.alias not in mail.body

    with django_capture_on_commit_callbacks(execute=True):
        again = follow_up_claims()

    assert again.consents_to_renew == 0
    assert len(renewal_mails(mailoutbox)) == 1


def test_a_newly_due_consent_is_mailed_with_the_total_still_due(
    mailoutbox, django_capture_on_commit_callbacks
):
    ConsentFactory(valid_until=days(5))
    with django_capture_on_commit_callbacks(execute=True):
        follow_up_claims()
    ConsentFactory(valid_until=days(7))

    with django_capture_on_commit_callbacks(execute=True):
        follow_up_claims()

    last = renewal_mails(mailoutbox)[-1]
    assert "(1 new since the last mail)" in last.body
    assert "2 guardians' consents" in last.body


def test_the_command_says_how_many_were_reported(django_capture_on_commit_callbacks):
    ConsentFactory(valid_until=days(1))
    out = io.StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("follow_up_claims", stdout=out)

    assert "Consents newly due for renewal, reported to staff: 1." in out.getvalue()
