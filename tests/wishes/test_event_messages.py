"""Event messages: who signed up (and the members coming) are told of the sign-up, its
change and withdrawal, and reminded once before the event by the daily job."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from sponsors.models import NotificationChannel, NotificationPreference
from tests.factories import DropOffPointFactory
from tests.wishes.events_cast import ADDRESS, GUARDIAN, REAL_NAME, unit_of
from wishes.models import Event, EventSignup, ScheduledRun
from wishes.services import send_event_reminders

pytestmark = pytest.mark.django_db

MOBILE = "13812345678"


def _choose(user, channel, *, language="zh-hans", mobile=MOBILE):
    return NotificationPreference.objects.create(
        user=user, channel=channel, language=language, mobile=mobile
    )


def _sign_up(client, event, capture, **data):
    data = {"headcount": "3", **data}
    with capture(execute=True):
        response = client.post(reverse("sponsors:event_signup", args=[event.pk]), data)
    assert response.status_code == 302, response.content
    return response


def _move(event, days: int) -> Event:
    Event.objects.filter(pk=event.pk).update(
        date=timezone.localdate() + datetime.timedelta(days=days)
    )
    event.refresh_from_db()
    return event


@pytest.fixture
def soon(event):
    """The `event` fixture two days from now, at 14:30, with a drop-off point of its own."""
    Event.objects.filter(pk=event.pk).update(start_time=datetime.time(14, 30))
    DropOffPointFactory(
        campaign=event.wishes.get().campaign,
        event=event,
        name="协会办公室",
        address="花木路 100 号",
    )
    return _move(event, 2)


def test_signing_up_sends_an_english_confirmation_by_email(
    client_for, sponsor, soon, mailoutbox, sms_outbox, django_capture_on_commit_callbacks
):
    _choose(sponsor, NotificationChannel.EMAIL, language="en", mobile="")
    _sign_up(client_for("sponsor"), soon, django_capture_on_commit_callbacks)

    [mail] = [m for m in mailoutbox if sponsor.email in m.to]
    assert mail.subject == f"You are signed up for {soon.title} on {soon.date:%Y-%m-%d}"
    assert "Time: 14:30" in mail.body
    assert soon.venue in mail.body
    assert "Attendees: 3 people" in mail.body
    # Where the gift of the sponsor's wish for the event goes.
    assert "协会办公室: 花木路 100 号" in mail.body
    assert soon.wishes.get().code in mail.body
    for secret in (REAL_NAME, GUARDIAN, ADDRESS):
        assert secret not in mail.body
    assert sms_outbox == []


def test_signing_up_sends_a_text_to_who_chose_texts(
    client_for, sponsor, soon, mailoutbox, sms_outbox, django_capture_on_commit_callbacks
):
    _choose(sponsor, NotificationChannel.SMS)
    _sign_up(client_for("sponsor"), soon, django_capture_on_commit_callbacks)

    [text] = sms_outbox
    assert text.phone == MOBILE
    assert text.template == "event_signup_confirmed"
    assert soon.date.isoformat() in text.text
    assert "3 人" in text.text
    assert not [m for m in mailoutbox if sponsor.email in m.to]


def test_the_members_on_the_list_are_told_and_the_rest_of_the_team_is_not(
    client_for, sponsor, colleague, soon, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.factories import SponsorMemberFactory

    bystander = SponsorMemberFactory(sponsor=unit_of(sponsor).sponsor).user
    _sign_up(
        client_for("sponsor"),
        soon,
        django_capture_on_commit_callbacks,
        members=[str(unit_of(colleague).pk)],
    )

    told = {address for m in mailoutbox for address in m.to}
    assert {sponsor.email, colleague.email} <= told
    assert bystander.email not in told


def test_withdrawing_tells_who_was_coming(
    client_for,
    sponsor,
    colleague,
    soon,
    mailoutbox,
    sms_outbox,
    django_capture_on_commit_callbacks,
):
    client = client_for("sponsor")
    _sign_up(
        client, soon, django_capture_on_commit_callbacks, members=[str(unit_of(colleague).pk)]
    )
    mailoutbox.clear()
    _choose(colleague, NotificationChannel.SMS)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("sponsors:withdraw_signup", args=[soon.pk]))
    assert response.status_code == 302

    assert [m.to for m in mailoutbox] == [[sponsor.email]]
    assert "withdrawn" in mailoutbox[0].subject or "取消" in mailoutbox[0].subject
    [text] = sms_outbox
    assert text.phone == MOBILE
    assert text.template == "event_signup_withdrawn"


def _run_scheduled():
    call_command("run_scheduled", "--only", "event_reminders", stdout=io.StringIO())


def test_the_reminder_is_sent_once(
    client_for, sponsor, soon, mailoutbox, sms_outbox, django_capture_on_commit_callbacks
):
    _choose(sponsor, NotificationChannel.BOTH, language="en")
    _sign_up(client_for("sponsor"), soon, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    sms_outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        _run_scheduled()
    # A second run the same day, and a run forced past the day's record, send nothing more.
    ScheduledRun.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        _run_scheduled()
        assert send_event_reminders() == []

    [mail] = mailoutbox
    assert mail.subject == f"Reminder: {soon.title} on {soon.date:%Y-%m-%d}"
    assert "Time: 14:30" in mail.body
    [text] = sms_outbox
    assert text.template == "event_reminder"
    assert EventSignup.objects.get(event=soon).reminded_at is not None


def test_no_reminder_before_the_window(
    client_for, soon, mailoutbox, django_capture_on_commit_callbacks
):
    _sign_up(client_for("sponsor"), soon, django_capture_on_commit_callbacks)
    _move(soon, 5)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert send_event_reminders() == []
    assert mailoutbox == []


def test_a_withdrawn_signup_is_not_reminded(
    client_for, soon, mailoutbox, sms_outbox, django_capture_on_commit_callbacks
):
    client = client_for("sponsor")
    _sign_up(client, soon, django_capture_on_commit_callbacks)
    client.post(reverse("sponsors:withdraw_signup", args=[soon.pk]))
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        _run_scheduled()
    assert mailoutbox == []
    assert EventSignup.objects.get(event=soon).reminded_at is None


def test_a_past_event_is_not_reminded(
    client_for, soon, mailoutbox, django_capture_on_commit_callbacks
):
    _sign_up(client_for("sponsor"), soon, django_capture_on_commit_callbacks)
    _move(soon, -1)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert send_event_reminders() == []
    assert mailoutbox == []


def test_a_wish_text_that_names_its_child_is_left_out_of_the_message(
    client_for, soon, mailoutbox, django_capture_on_commit_callbacks
):
    wish = soon.wishes.get()
    type(wish).objects.filter(pk=wish.pk).update(public_text=f"{REAL_NAME}想要一套画笔")

    _sign_up(client_for("sponsor"), soon, django_capture_on_commit_callbacks)

    [mail] = mailoutbox
    assert wish.code in mail.body
    assert REAL_NAME not in mail.body
    assert "画笔" not in mail.body


def test_a_signup_another_run_reminded_meanwhile_is_skipped(
    client_for, soon, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    from wishes.services import events

    _sign_up(client_for("sponsor"), soon, django_capture_on_commit_callbacks)
    mailoutbox.clear()
    real = events._due_for_event_reminder
    calls = []

    def due_then_taken(today):
        due = real(today)
        if not calls:
            # The second scheduler reads the same sign-ups; the first marks them right after.
            ids = list(due.values_list("pk", flat=True))
            EventSignup.objects.filter(pk__in=ids).update(reminded_at=timezone.now())
            calls.append(ids)
            return EventSignup.objects.filter(pk__in=ids)
        return due

    monkeypatch.setattr(events, "_due_for_event_reminder", due_then_taken)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_event_reminders() == []

    assert calls and mailoutbox == []
