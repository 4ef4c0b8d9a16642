"""How long a guardian's consent lasts, when it counts as in force, and which need renewing."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import ChildFactory, ConsentFactory
from wishes.models import RENEWAL_DAYS, Consent, ConsentState, school_year_end

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    return timezone.localdate()


def days(n: int) -> datetime.date:
    return today() + datetime.timedelta(days=n)


@pytest.mark.parametrize(
    "given, until",
    [
        ("2026-10-01", "2027-08-31"),
        ("2027-03-05", "2027-08-31"),
        ("2027-09-02", "2028-08-31"),
        # The edges: the last day of a school year and the first of the next.
        ("2027-08-31", "2027-08-31"),
        ("2027-09-01", "2028-08-31"),
        ("2028-01-01", "2028-08-31"),
    ],
)
def test_a_consent_lasts_until_the_end_of_its_school_year(given, until):
    given_on = datetime.date.fromisoformat(given)
    assert school_year_end(given_on) == datetime.date.fromisoformat(until)

    consent = ConsentFactory(given_on=given_on, valid_until=None)

    consent.refresh_from_db()
    assert consent.valid_until == datetime.date.fromisoformat(until)


def test_staff_can_set_another_end_of_validity():
    consent = ConsentFactory(given_on=datetime.date(2026, 10, 1), valid_until="2027-06-30")

    consent.refresh_from_db()
    assert consent.valid_until == datetime.date(2027, 6, 30)


def test_a_consent_cannot_end_before_it_was_given():
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsentFactory(given_on=days(0), valid_until=days(-1))


def test_in_force_means_not_withdrawn_and_not_past_its_last_day():
    last_day_today = ConsentFactory(given_on=days(-10), valid_until=days(0))
    expired = ConsentFactory(given_on=days(-10), valid_until=days(-1))
    withdrawn = ConsentFactory(withdrawn_at=timezone.now())
    current = ConsentFactory()

    assert set(Consent.objects.in_force()) == {last_day_today, current}
    assert (last_day_today.in_force, expired.in_force, withdrawn.in_force) == (True, False, False)
    assert expired.state == ConsentState.EXPIRED
    assert withdrawn.state == ConsentState.WITHDRAWN
    assert current.state == ConsentState.IN_FORCE
    assert set(Consent.objects.in_force(today=days(-1))) == {last_day_today, expired, current}


def test_consents_to_renew_are_expired_or_close_to_expiry_and_not_renewed():
    expiring = ConsentFactory(valid_until=days(RENEWAL_DAYS))
    expired = ConsentFactory(given_on=days(-100), valid_until=days(-1))
    ConsentFactory(valid_until=days(RENEWAL_DAYS + 1))  # not yet
    ConsentFactory(valid_until=days(3), withdrawn_at=timezone.now())  # withdrawn: nothing to do
    ConsentFactory(valid_until=days(3), child=ChildFactory(withdrawn_at=timezone.now()))
    renewed = ConsentFactory(given_on=days(-100), valid_until=days(-5))
    ConsentFactory(child=renewed.child, valid_until=days(200))

    assert set(Consent.objects.to_renew()) == {expiring, expired}
    assert set(Consent.objects.to_renew(expired=False)) == {expiring}
    assert set(Consent.objects.to_renew(expiring=False)) == {expired}
    assert list(Consent.objects.to_renew(expired=False, expiring=False)) == []


def test_the_migration_gives_old_consents_this_school_year_and_the_letter_scope_with_photos():
    migration = importlib.import_module("wishes.migrations.0012_consent_validity_letter_scope")
    old = ConsentFactory(given_on=datetime.date(2019, 3, 1), share_photos_with_sponsor=True)
    recent = ConsentFactory(given_on=days(0), share_photos_with_sponsor=False)
    Consent.objects.update(share_letter_with_sponsor=False)

    migration.fill_existing(apps, None)

    old.refresh_from_db()
    recent.refresh_from_db()
    # Not expired on the day of the update: staff have this school year to renew it.
    assert old.valid_until == school_year_end(today())
    assert recent.valid_until == school_year_end(today())
    assert old.share_letter_with_sponsor
    assert not recent.share_letter_with_sponsor
