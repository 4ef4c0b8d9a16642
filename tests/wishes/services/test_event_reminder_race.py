"""Real concurrency: two daily runs remind the sign-ups of an event at the same moment."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from tests.wishes.events_cast import unit_of
from tests.wishes.services.test_race import pytestmark as race_marks
from tests.wishes.services.test_race import run_at_once
from wishes.models import Event, EventSignup
from wishes.services import send_event_reminders, sign_up_for_event

pytestmark = race_marks


@pytest.mark.parametrize("attempt", range(3))
def test_two_runs_at_once_remind_each_signup_once(attempt, event, sponsor):
    Event.objects.filter(pk=event.pk).update(
        date=timezone.localdate() + datetime.timedelta(days=1)
    )
    sign_up_for_event(event_id=event.pk, sponsor=unit_of(sponsor).sponsor, by=sponsor, headcount=2)
    mail.outbox.clear()

    results = run_at_once([send_event_reminders, send_event_reminders])

    assert sorted(len(r) for r in results) == [0, 1], results  # type: ignore[arg-type]
    assert [m.to for m in mail.outbox] == [[sponsor.email]]
    assert EventSignup.objects.get(event=event).reminded_at is not None
