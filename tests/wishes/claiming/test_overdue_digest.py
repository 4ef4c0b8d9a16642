"""The staff digest of overdue claims is a short summary, however many claims are overdue."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.factories import (
    CampaignFactory,
    ChildFactory,
    ClaimFactory,
    RegionFactory,
    SponsorFactory,
)
from wishes.models import Claim, ClaimStatus, Wish, WishStatus

pytestmark = pytest.mark.django_db

STAFF_MAILBOX = "office@huamu.example"


@pytest.fixture(autouse=True)
def _digest_settings(settings):
    settings.HUAMU_CLAIM_MAX_DAYS_WITHOUT_DATE = 60
    settings.STAFF_NOTIFY_EMAILS = [STAFF_MAILBOX]
    settings.SITE_URL = "https://huamu.example"
    settings.LANGUAGE_CODE = "en"


def run_follow_up(django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        call_command("follow_up_claims", stdout=io.StringIO())


def overdue_claims_in_bulk(count: int) -> list[Claim]:
    """`count` active claims, 1 to `count` days overdue, of units in two regions and one
    individual without a region (bulk-created: thousands would take minutes one by one)."""
    campaign = CampaignFactory(year=2026)
    child = ChildFactory()
    east, west = RegionFactory(name="花木街道"), RegionFactory(name="北蔡镇")
    sponsors = [
        SponsorFactory(verified=True, region=east),
        SponsorFactory(verified=True, region=west),
        SponsorFactory(verified=True, individual=True, region=None),
    ]
    now = timezone.now()
    wishes = Wish.objects.bulk_create(
        Wish(
            child=child,
            campaign=campaign,
            code=f"HM2026-B{number:05d}",
            category="books",
            child_words="想要书",
            public_text="想要书",
            estimated_value=Decimal("50.00"),
            status=WishStatus.CLAIMED,
            published_at=now,
        )
        for number in range(count)
    )
    today = timezone.localdate()
    return Claim.objects.bulk_create(
        Claim(
            wish=wish,
            sponsor=sponsors[number % 3],
            status=ClaimStatus.ACTIVE,
            promised_on=today - datetime.timedelta(days=number + 1),
        )
        for number, wish in enumerate(wishes)
    )


def test_two_thousand_overdue_claims_give_a_short_digest(
    mailoutbox, django_capture_on_commit_callbacks
):
    claims = overdue_claims_in_bulk(2000)

    run_follow_up(django_capture_on_commit_callbacks)

    [digest] = [mail for mail in mailoutbox if STAFF_MAILBOX in mail.to]
    assert digest.subject == "2000 claims are overdue"
    assert len(digest.body.encode()) < 4096, len(digest.body.encode())
    assert "These 2000 claims have passed their due dates" in digest.body
    # The ten longest overdue are named, the others only counted.
    named = [claim for claim in claims if claim.wish.code in digest.body]
    assert (
        sorted(claim.promised_on for claim in named)
        == sorted(claim.promised_on for claim in claims)[:10]
    )
    assert "The 10 longest overdue claims:" in digest.body
    assert "- Caring unit: 1334" in digest.body
    assert "- Caring individual: 666" in digest.body
    assert "- 花木街道: 667" in digest.body
    assert "- 北蔡镇: 667" in digest.body
    assert "- No region: 666" in digest.body
    assert "- 1 to 7 days: 7" in digest.body
    assert "- 8 to 30 days: 23" in digest.body
    assert "- 31 to 90 days: 60" in digest.body
    assert "- more than 90 days: 1910" in digest.body
    assert "https://huamu.example/admin/wishes/claim/?overdue=yes" in digest.body
    assert Claim.objects.filter(overdue_reported_at__isnull=True).count() == 0


def test_a_few_overdue_claims_are_all_named(mailoutbox, django_capture_on_commit_callbacks):
    late = ClaimFactory(promised_on=timezone.localdate() - datetime.timedelta(days=40))

    run_follow_up(django_capture_on_commit_callbacks)

    [digest] = [mail for mail in mailoutbox if STAFF_MAILBOX in mail.to]
    assert digest.subject == "1 claim is overdue"
    assert "The claims:" in digest.body
    assert "longest" not in digest.body
    assert late.wish.code in digest.body
    assert "- 31 to 90 days: 1" in digest.body
    assert f"- {late.sponsor.region.name}: 1" in digest.body


def test_many_sponsor_regions_are_cut_to_ten_and_the_rest(
    mailoutbox, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    for number in range(12):
        ClaimFactory(
            sponsor__region=RegionFactory(name=f"镇{number:02d}"),
            promised_on=today - datetime.timedelta(days=2),
        )

    run_follow_up(django_capture_on_commit_callbacks)

    [digest] = [mail for mail in mailoutbox if STAFF_MAILBOX in mail.to]
    assert sum(f"- 镇{number:02d}: 1" in digest.body for number in range(12)) == 10
    assert "- Other regions: 2" in digest.body
