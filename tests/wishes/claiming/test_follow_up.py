"""Claim follow-up: reminders before the promised date, the overdue digest, releasing claims."""

import datetime
import io
from copy import deepcopy

import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import constants, get_messages
from django.core.management import call_command
from django.tasks import TaskResultStatus, task_backends
from django.tasks.backends.immediate import ImmediateBackend
from django.urls import reverse
from django.utils import timezone

from huamu.errors import TransitionError
from tests.factories import ClaimFactory, SponsorFactory, SponsorMemberFactory, UserFactory
from wishes.audit import history_of
from wishes.claiming.follow_up import (
    days_overdue,
    follow_up_claims,
    is_overdue,
    overdue_claims,
    release_overdue_claim,
)
from wishes.claiming.tasks import follow_up_claims_task
from wishes.models import Claim, ClaimStatus, WishStatus

pytestmark = pytest.mark.django_db

STAFF_MAILBOX = "office@huamu.example"


@pytest.fixture(autouse=True)
def _follow_up_settings(settings):
    # Pinned, so that the tests do not depend on the defaults or the environment.
    settings.HUAMU_REMINDER_DAYS = 3
    settings.HUAMU_CLAIM_MAX_DAYS_WITHOUT_DATE = 60
    settings.STAFF_NOTIFY_EMAILS = [STAFF_MAILBOX]
    settings.SITE_URL = "https://huamu.example"


@pytest.fixture
def strict_templates(settings):
    """Render a missing template variable visibly, so a typo in a mail template fails."""
    templates = deepcopy(settings.TEMPLATES)
    templates[0]["OPTIONS"]["string_if_invalid"] = "<<missing %s>>"
    settings.TEMPLATES = templates


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run the daily command as cron does, sending the mails it queues; return its output."""

    def run_command(*args: str) -> str:
        out = io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("follow_up_claims", *args, stdout=out)
        return out.getvalue()

    return run_command


def today() -> datetime.date:
    return timezone.localdate()


def in_days(days: int) -> datetime.date:
    return today() + datetime.timedelta(days=days)


def claim_due(days: int | None, **kwargs) -> Claim:
    """An active claim promised in `days` days (negative: in the past; None: no date)."""
    return ClaimFactory(promised_on=None if days is None else in_days(days), **kwargs)


def claimed_days_ago(claim: Claim, days: int) -> Claim:
    # created_at is set on insert; move it back as if the claim had been made earlier.
    Claim.objects.filter(pk=claim.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days)
    )
    claim.refresh_from_db()
    return claim


def mails_to(mailoutbox, address: str) -> list:
    return [mail for mail in mailoutbox if address in mail.to]


# --- reminders -------------------------------------------------------------------------------


def test_reminder_is_sent_once_when_the_command_runs_twice(run, mailoutbox, strict_templates):
    claim = claim_due(2)

    run()
    run()

    assert len(mailoutbox) == 1
    [mail] = mailoutbox
    assert mail.to == [claim.sponsor.email]
    assert claim.wish.code in mail.body
    assert in_days(2).isoformat() in mail.body
    assert "https://huamu.example/sponsor/" in mail.body
    assert "<<missing" not in mail.subject + mail.body
    claim.refresh_from_db()
    assert claim.reminder_sent_at is not None


def test_reminder_goes_to_the_sponsor_and_its_members(run, mailoutbox):
    claim = claim_due(1)
    SponsorMemberFactory(sponsor=claim.sponsor, user__email="member@example.org")

    run()

    [mail] = mailoutbox
    assert sorted(mail.to) == sorted([claim.sponsor.email, "member@example.org"])


def test_one_mail_per_sponsor_lists_all_its_claims_due_soon(run, mailoutbox):
    sponsor = SponsorFactory(verified=True)
    first = claim_due(0, sponsor=sponsor)
    second = claim_due(3, sponsor=sponsor)
    other = claim_due(1)

    run()

    [to_sponsor] = mails_to(mailoutbox, sponsor.email)
    assert first.wish.code in to_sponsor.body
    assert second.wish.code in to_sponsor.body
    assert other.wish.code not in to_sponsor.body
    assert len(mails_to(mailoutbox, other.sponsor.email)) == 1


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: claim_due(None), id="no promised date"),
        pytest.param(lambda: claim_due(4), id="due after the window"),
        pytest.param(lambda: claim_due(-1), id="already overdue"),
        pytest.param(
            lambda: claim_due(2, status=ClaimStatus.FULFILLED, wish__status=WishStatus.FULFILLED),
            id="fulfilled",
        ),
        pytest.param(
            lambda: claim_due(
                2, status=ClaimStatus.CANCELLED, cancel_reason="改期", wish__status=WishStatus.OPEN
            ),
            id="cancelled",
        ),
    ],
)
def test_no_reminder_for_claims_that_need_none(make, run, mailoutbox):
    claim = make()

    run()

    assert mails_to(mailoutbox, claim.sponsor.email) == []
    claim.refresh_from_db()
    assert claim.reminder_sent_at is None


def test_reminder_window_follows_the_setting(run, mailoutbox, settings):
    settings.HUAMU_REMINDER_DAYS = 7
    claim = claim_due(7)

    run()

    assert len(mails_to(mailoutbox, claim.sponsor.email)) == 1


def test_reminder_is_in_the_sponsors_language(run, mailoutbox):
    english = claim_due(2, sponsor__language="en", sponsor__name="Expo Centre")
    chinese = claim_due(2, sponsor__language="zh-hans")

    run()

    [to_english] = mails_to(mailoutbox, english.sponsor.email)
    [to_chinese] = mails_to(mailoutbox, chinese.sponsor.email)
    assert to_english.subject == "Reminder: a wish you claimed is due soon"
    assert "Dear Expo Centre," in to_english.body
    assert "promised for" in to_english.body
    # Strings the catalogue already has show that the mail is rendered in Chinese.
    assert "承诺送达日期" in to_chinese.body
    assert "花木圆梦" in to_chinese.body
    assert "promised for" not in to_chinese.body


# --- the overdue digest ----------------------------------------------------------------------


def test_overdue_digest_lists_exactly_the_overdue_claims_once(run, mailoutbox, strict_templates):
    yesterday = claim_due(-1, sponsor__name="上海科技馆")
    long_ago = claim_due(-10)
    no_date_old = claimed_days_ago(claim_due(None), 61)
    not_overdue = [
        claim_due(0),
        claim_due(5),
        claimed_days_ago(claim_due(None), 59),
        claim_due(-3, status=ClaimStatus.FULFILLED, wish__status=WishStatus.FULFILLED),
        claim_due(
            -3, status=ClaimStatus.CANCELLED, cancel_reason="改期", wish__status=WishStatus.OPEN
        ),
    ]

    run()
    run()

    [digest] = mails_to(mailoutbox, STAFF_MAILBOX)
    assert "<<missing" not in digest.subject + digest.body
    for claim in (yesterday, long_ago, no_date_old):
        assert claim.wish.code in digest.body
        assert f"https://huamu.example/admin/wishes/claim/{claim.pk}/change/" in digest.body
        claim.refresh_from_db()
        assert claim.overdue_reported_at is not None
    for claim in not_overdue:
        assert claim.wish.code not in digest.body
        claim.refresh_from_db()
        assert claim.overdue_reported_at is None
    assert "上海科技馆" in digest.body
    assert "https://huamu.example/admin/wishes/claim/?overdue=yes" in digest.body


def test_overdue_digest_says_how_many_days_overdue(run, mailoutbox, settings):
    settings.LANGUAGE_CODE = "en"
    claim_due(-10)

    run()

    [digest] = mails_to(mailoutbox, STAFF_MAILBOX)
    assert digest.subject == "1 claim is overdue"
    assert "10 days overdue" in digest.body
    assert f"promised for {in_days(-10).isoformat()}" in digest.body


def test_a_claim_becoming_overdue_later_gets_its_own_digest(run, mailoutbox):
    first = claim_due(-2)
    run()
    second = claim_due(-1)

    run()

    digests = mails_to(mailoutbox, STAFF_MAILBOX)
    assert len(digests) == 2
    assert first.wish.code not in digests[1].body
    assert second.wish.code in digests[1].body


def test_no_digest_when_nothing_is_overdue(run, mailoutbox):
    claim_due(1)

    run()

    assert mails_to(mailoutbox, STAFF_MAILBOX) == []


def test_claims_without_date_never_fall_due_when_the_limit_is_off(settings):
    settings.HUAMU_CLAIM_MAX_DAYS_WITHOUT_DATE = 0
    claim = claimed_days_ago(claim_due(None), 400)

    assert not is_overdue(claim)
    assert not overdue_claims().exists()


def test_python_and_sql_agree_on_what_is_overdue():
    claims = [
        claim_due(-1),
        claim_due(0),
        claimed_days_ago(claim_due(None), 61),
        claimed_days_ago(claim_due(None), 60),
    ]

    in_sql = set(overdue_claims().values_list("pk", flat=True))

    assert in_sql == {c.pk for c in claims if is_overdue(c)}
    assert [days_overdue(c) for c in claims] == [1, 0, 1, 0]


def test_command_prints_what_it_did(run, settings):
    settings.LANGUAGE_CODE = "en"
    due = claim_due(1, sponsor__name="Expo Centre")
    late = claim_due(-1)

    output = run()

    assert "Reminder mails sent: 1, for 1 claims due within 3 days." in output
    assert f"Expo Centre: {due.wish.code}" in output
    assert "Overdue claims reported to staff: 1." in output
    assert late.wish.code in output


# --- releasing an overdue claim --------------------------------------------------------------


def test_release_opens_the_wish_and_cancels_the_claim_with_a_reason(
    staff, django_capture_on_commit_callbacks, mailoutbox
):
    claim = claim_due(-4)

    with django_capture_on_commit_callbacks(execute=True):
        released = release_overdue_claim(claim_id=claim.pk, by=staff)

    claim.refresh_from_db()
    claim.wish.refresh_from_db()
    assert released.pk == claim.pk
    assert claim.status == ClaimStatus.CANCELLED
    assert claim.wish.status == WishStatus.OPEN
    assert in_days(-4).isoformat() in claim.cancel_reason
    [claim_change] = history_of(claim)
    assert (claim_change.from_status, claim_change.to_status) == ("active", "cancelled")
    assert (claim_change.by, claim_change.note) == (staff, claim.cancel_reason)
    [wish_change] = history_of(claim.wish)
    assert (wish_change.from_status, wish_change.to_status, wish_change.by) == (
        "claimed",
        "open",
        staff,
    )
    # Staff hear of the cancellation as of any other; the sponsor is told why.
    assert len(mails_to(mailoutbox, STAFF_MAILBOX)) == 1
    [to_sponsor] = mails_to(mailoutbox, claim.sponsor.email)
    assert claim.wish.code in to_sponsor.subject
    assert claim.cancel_reason in to_sponsor.body


def test_release_of_an_old_claim_without_date_says_why(staff):
    claim = claimed_days_ago(claim_due(None), 61)

    release_overdue_claim(claim_id=claim.pk, by=staff)

    claim.refresh_from_db()
    assert claim.status == ClaimStatus.CANCELLED
    assert "60" in claim.cancel_reason


@pytest.mark.parametrize(
    "make, message",
    [
        pytest.param(lambda: claim_due(0), "not overdue", id="due today"),
        pytest.param(lambda: claim_due(3), "not overdue", id="due later"),
        pytest.param(
            lambda: claimed_days_ago(claim_due(None), 10), "no promised date", id="young, no date"
        ),
        pytest.param(
            lambda: claim_due(-3, status=ClaimStatus.FULFILLED, wish__status=WishStatus.FULFILLED),
            "Only an active claim",
            id="fulfilled",
        ),
    ],
)
def test_release_is_refused_for_claims_that_are_not_overdue(staff, make, message, settings):
    settings.LANGUAGE_CODE = "en"
    claim = make()
    before = (claim.status, claim.wish.status)

    with pytest.raises(TransitionError, match=message):
        release_overdue_claim(claim_id=claim.pk, by=staff)

    claim.refresh_from_db()
    claim.wish.refresh_from_db()
    assert (claim.status, claim.wish.status) == before
    assert not history_of(claim).exists()


# --- the admin action and filter -------------------------------------------------------------


CLAIMS = reverse("admin:wishes_claim_changelist")


def release_through_admin(client, claims):
    return client.post(
        CLAIMS,
        {
            "action": "release_overdue",
            "index": "0",
            "select_across": "0",
            "_selected_action": [str(claim.pk) for claim in claims],
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_admin_action_releases_overdue_claims_and_reports_each(client_for):
    late = claim_due(-2)
    on_time = claim_due(2)

    response = release_through_admin(client_for("staff"), [late, on_time])

    assert response.status_code == 302
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.status == ClaimStatus.CANCELLED
    assert on_time.status == ClaimStatus.ACTIVE
    found = {m.level: str(m) for m in get_messages(response.wsgi_request)}
    assert found[constants.SUCCESS] == (
        f"{late} is released; the wish is waiting to be claimed again."
    )
    assert found[constants.ERROR].startswith(f"{on_time}: The claim on {on_time.wish.code}")


def test_admin_action_needs_the_change_permission(client):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_claim"))
    client.force_login(viewer)
    late = claim_due(-2)

    page = client.get(CLAIMS)
    release_through_admin(client, [late])

    assert page.status_code == 200
    assert 'value="release_overdue"' not in page.text
    late.refresh_from_db()
    assert late.status == ClaimStatus.ACTIVE


@pytest.mark.parametrize("role", ["anonymous", "sponsor", "coordinator", "plain_user"])
def test_admin_action_is_closed_to_non_staff(client_for, role):
    late = claim_due(-2)

    response = release_through_admin(client_for(role), [late])

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    late.refresh_from_db()
    assert late.status == ClaimStatus.ACTIVE


def test_overdue_filter_lists_only_overdue_active_claims(client_for):
    late = claim_due(-1)
    old_without_date = claimed_days_ago(claim_due(None), 61)
    claim_due(1)
    claim_due(-1, status=ClaimStatus.FULFILLED, wish__status=WishStatus.FULFILLED)

    response = client_for("staff").get(CLAIMS, {"overdue": "yes"})

    assert response.status_code == 200
    assert {c.pk for c in response.context["cl"].result_list} == {late.pk, old_without_date.pk}
    assert '<option value="release_overdue">' in response.text


def test_new_promised_date_in_the_admin_earns_a_new_reminder(client_for, run, mailoutbox):
    claim = claim_due(-1)
    run()
    claim.refresh_from_db()
    assert claim.overdue_reported_at is not None
    staff_client = client_for("staff")
    url = reverse("admin:wishes_claim_change", args=[claim.pk])
    page = staff_client.get(url)
    data = {"external_ref": "", "claimant_name": "", "promised_on": in_days(2).isoformat()}
    for inline in page.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        data.update({management.add_prefix(k): v for k, v in management.initial.items()})

    response = staff_client.post(url, data)

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.promised_on == in_days(2)
    assert claim.overdue_reported_at is None
    run()
    claim.refresh_from_db()
    assert claim.reminder_sent_at is not None
    assert len(mails_to(mailoutbox, claim.sponsor.email)) == 1


# --- the task --------------------------------------------------------------------------------


@pytest.fixture
def immediate_tasks(monkeypatch):
    """Run tasks in-process with Django's immediate backend, whatever TASKS says."""
    monkeypatch.setattr(
        task_backends._connections,
        follow_up_claims_task.backend,
        ImmediateBackend(alias=follow_up_claims_task.backend, params={}),
        raising=False,
    )


def test_task_runs_the_same_follow_up(immediate_tasks, django_capture_on_commit_callbacks):
    due = claim_due(1, sponsor__name="Expo Centre")
    late = claim_due(-1)

    with django_capture_on_commit_callbacks(execute=True):
        result = follow_up_claims_task.enqueue()

    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {
        "reminded": [{"sponsor": "Expo Centre", "wishes": [due.wish.code]}],
        "reported_overdue": [late.wish.code],
        "consents_to_renew": 0,
        "import_files_removed": 0,
        "import_files_failed": 0,
        "handover_reminded": [],
    }
    due.refresh_from_db()
    late.refresh_from_db()
    assert due.reminder_sent_at is not None
    assert late.overdue_reported_at is not None


def test_command_can_enqueue_the_task_instead(immediate_tasks, run, mailoutbox, settings):
    settings.LANGUAGE_CODE = "en"
    claim = claim_due(2)

    output = run("--enqueue")

    assert "enqueued" in output
    assert "SUCCESSFUL" in output
    assert len(mails_to(mailoutbox, claim.sponsor.email)) == 1


def test_follow_up_returns_nothing_to_do_on_an_empty_database():
    summary = follow_up_claims()

    assert summary.as_dict() == {
        "reminded": [],
        "reported_overdue": [],
        "consents_to_renew": 0,
        "import_files_removed": 0,
        "import_files_failed": 0,
        "handover_reminded": [],
    }
