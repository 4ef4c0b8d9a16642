"""Fixtures of the event tests: an event at `school` today, a wish there claimed by the
`sponsor` fixture's unit, and a colleague of that unit."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from sponsors.models import MemberRole
from tests.factories import ClaimFactory, EventFactory, SponsorMemberFactory, UserFactory
from tests.wishes.events_cast import ADDRESS, ALIAS, GUARDIAN, REAL_NAME, unit_of
from wishes.models import Event


@pytest.fixture
def event(db, school, sponsor) -> Event:
    """Today's session at `school`, worth 2.5 hours, with a wish claimed by `sponsor`."""
    event = EventFactory(
        school=school, title="花木中心小学圆梦专场", volunteer_hours=Decimal("2.5")
    )
    claim = ClaimFactory(
        sponsor=unit_of(sponsor).sponsor,
        wish__child__school=school,
        wish__child__real_name=REAL_NAME,
        wish__child__alias=ALIAS,
        wish__child__guardian_name=GUARDIAN,
        wish__child__address=ADDRESS,
    )
    event.wishes.add(claim.wish)
    return event


@pytest.fixture
def later_event(event) -> Event:
    """The same event moved to next week."""
    Event.objects.filter(pk=event.pk).update(
        date=timezone.localdate() + datetime.timedelta(days=7)
    )
    event.refresh_from_db()
    return event


@pytest.fixture
def colleague(db, sponsor):
    """A plain member of the `sponsor` fixture's unit."""
    user = UserFactory(username="colleague", first_name="王", last_name="同事")
    return SponsorMemberFactory(
        user=user, sponsor=unit_of(sponsor).sponsor, role=MemberRole.MEMBER
    ).user
