"""The running totals behind the front and impact pages: they always add up to a recount of
the data, through every kind of change, and the nightly recount finds and corrects drift."""

import datetime
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation

from sponsors.models import SponsorKind
from sponsors.services import reject_sponsor, verify_sponsor
from tests.factories import (
    ChildFactory,
    ClaimFactory,
    ConsentFactory,
    FulfilmentFactory,
    RegionFactory,
    SponsorFactory,
    SponsorMemberFactory,
    UserFactory,
    WishFactory,
)
from wishes.models import (
    Claim,
    ClaimChannel,
    Consent,
    Feedback,
    FeedbackRole,
    Tally,
    Wish,
    WishCategory,
    WishStatus,
)
from wishes.public.selectors import front_page_numbers, impact_numbers, open_wishes
from wishes.reports import tallies
from wishes.reports.impact import impact_figures
from wishes.reports.tallies import Scope
from wishes.scheduling.jobs import JOBS
from wishes.services import (
    cancel_claim,
    claim_wish,
    give_feedback,
    publish_wish,
    record_fulfilment,
    withdraw_consent,
    withdraw_wish,
)

pytestmark = pytest.mark.django_db


def _stored() -> Counter:
    return tallies.current(tallies.NAMES)


def _counted() -> Counter:
    return Counter({item: n for item, n in tallies.recount().items() if n})


def _assert_in_step() -> None:
    assert _stored() == _counted()


@pytest.fixture
def staff_user(db):
    return UserFactory(username="tally-staff", is_staff=True)


def test_the_test_database_starts_built_and_empty():
    assert Tally.objects.filter(name=tallies.BUILT).exists()
    assert _stored() == Counter()


def test_a_wish_through_its_whole_life_keeps_every_total_in_step(staff_user):
    region = RegionFactory(name="花木街道")
    sponsor = SponsorFactory(verified=True, region=region)
    wish = WishFactory(category=WishCategory.SPORTS)
    ConsentFactory(child=wish.child)
    _assert_in_step()

    publish_wish(wish_id=wish.pk, by=staff_user)
    _assert_in_step()
    assert impact_numbers().waiting == open_wishes().count() == 1

    claim = claim_wish(wish_id=wish.pk, sponsor=sponsor, by=None)
    _assert_in_step()
    numbers = impact_numbers()
    assert (numbers.waiting, numbers.units) == (0, 1)

    record_fulfilment(claim_id=claim.pk, by=staff_user, fulfilled_on=timezone.localdate())
    _assert_in_step()
    member = SponsorMemberFactory(sponsor=sponsor).user
    give_feedback(claim_id=claim.pk, role=FeedbackRole.SPONSOR, rating=4, by=member)
    _assert_in_step()

    figures = impact_figures()
    this_year = [y for y in figures.years if y.year == timezone.localdate().year][0]
    assert (this_year.fulfilled, this_year.units, this_year.individuals) == (1, 1, 0)
    assert [(c.code, c.published, c.fulfilled) for c in figures.categories] == [
        (WishCategory.SPORTS, 1, 1)
    ]
    assert [(s.key, s.count) for s in figures.regions] == [("花木街道", 1)]
    assert (figures.ratings.count, figures.ratings.average) == (1, 4.0)
    assert impact_numbers().fulfilled == 1


def test_a_cancelled_claim_gives_the_wish_back_and_the_sponsor_stops_counting(staff_user):
    sponsor = SponsorFactory(verified=True, individual=True)
    wish = WishFactory(open=True)
    claim = claim_wish(wish_id=wish.pk, sponsor=sponsor, by=None)
    assert impact_numbers().individuals == 1

    cancel_claim(claim_id=claim.pk, by=staff_user, reason="家里有事")

    _assert_in_step()
    numbers = impact_numbers()
    assert (numbers.waiting, numbers.individuals) == (1, 0)
    assert impact_figures().claims_counted == 0


def test_rejecting_a_sponsor_with_its_claims_released_gives_every_wish_back(staff_user):
    sponsor = SponsorFactory(verified=True)
    wishes = WishFactory.create_batch(3, open=True)
    for wish in wishes:
        claim_wish(wish_id=wish.pk, sponsor=sponsor, by=None)
    assert (impact_numbers().waiting, impact_numbers().units) == (0, 1)

    reject_sponsor(sponsor_id=sponsor.pk, by=staff_user, reason="资料不实", release_claims=True)

    _assert_in_step()
    assert (impact_numbers().waiting, impact_numbers().units) == (3, 0)


def test_consent_and_the_childs_record_decide_the_waiting_count(staff_user):
    wish = WishFactory(open=True)
    other = WishFactory(open=True)
    assert impact_numbers().waiting == 2

    consent = Consent.objects.get(child=wish.child)
    withdraw_consent(consent_id=consent.pk, by=staff_user)
    _assert_in_step()
    assert impact_numbers().waiting == open_wishes().count() == 1

    other.child.withdrawn_at = timezone.now()
    other.child.save()
    _assert_in_step()
    assert impact_numbers().waiting == open_wishes().count() == 0


def test_a_consent_that_runs_out_stops_counting_the_next_day_without_any_write(
    monkeypatch,
):
    today = timezone.localdate()
    wish = WishFactory(open=True)
    Consent.objects.filter(child=wish.child).delete()
    ConsentFactory(child=wish.child, valid_until=today)
    assert impact_numbers().waiting == 1

    monkeypatch.setattr(timezone, "localdate", lambda *a: today + datetime.timedelta(days=1))

    assert impact_numbers().waiting == open_wishes().count() == 0


def test_withdrawing_a_wish_and_changing_its_fields_in_the_admin_keep_the_totals(staff_user):
    wish = WishFactory(open=True, category=WishCategory.BOOKS)
    wish.category = WishCategory.CLOTHING
    wish.save()
    _assert_in_step()

    withdraw_wish(wish_id=wish.pk, by=staff_user, reason="孩子已转学")

    _assert_in_step()
    assert impact_numbers().waiting == 0


def test_a_sponsor_changing_region_or_kind_moves_its_claims(staff_user):
    old, new = RegionFactory(name="花木街道"), RegionFactory(name="北蔡镇")
    sponsor = SponsorFactory(verified=True, region=old)
    FulfilmentFactory(claim__sponsor=sponsor)
    ClaimFactory(sponsor=sponsor)

    sponsor.region = new
    sponsor.kind = SponsorKind.INDIVIDUAL
    sponsor.unit_category = ""
    sponsor.save()

    _assert_in_step()
    figures = impact_figures()
    assert [(s.key, s.count) for s in figures.regions] == [("北蔡镇", 2)]
    this_year = [y for y in figures.years if y.year == timezone.localdate().year][0]
    assert (this_year.units, this_year.individuals) == (0, 1)
    numbers = impact_numbers()
    assert (numbers.units, numbers.individuals) == (0, 1)


def test_a_region_renamed_is_shown_by_its_new_name():
    region = RegionFactory(name="花木街道")
    ClaimFactory(sponsor__region=region)

    region.name = "花木新区"
    region.save()

    assert [s.key for s in impact_figures().regions] == ["花木新区"]


def test_a_claim_moved_to_another_sponsor_counts_for_the_new_one():
    first = SponsorFactory(verified=True)
    second = SponsorFactory(verified=True, individual=True)
    claim = ClaimFactory(sponsor=first)

    claim.sponsor = second
    claim.save()

    _assert_in_step()
    numbers = impact_numbers()
    assert (numbers.units, numbers.individuals) == (0, 1)


def test_deleting_rows_takes_them_out_of_the_totals():
    fulfilment = FulfilmentFactory()
    claim = fulfilment.claim
    feedback = Feedback.objects.create(
        claim=claim, role=FeedbackRole.SPONSOR, rating=5, given_by=UserFactory()
    )
    _assert_in_step()

    feedback.delete()
    fulfilment.delete()
    _assert_in_step()
    claim.delete()
    _assert_in_step()
    assert impact_figures().claims_counted == 0


def test_a_change_rolled_back_leaves_no_row_behind():
    wish = WishFactory(open=True)
    rows = Tally.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        wish.status = WishStatus.WITHDRAWN
        wish.save()
        raise RuntimeError

    assert Tally.objects.count() == rows
    assert impact_numbers().waiting == 1


def test_a_save_of_other_fields_writes_no_row():
    wish = WishFactory(open=True)
    rows = Tally.objects.count()

    wish.public_text = "想要一个篮球"
    wish.save(update_fields=["public_text", "updated_at"])

    assert Tally.objects.count() == rows


def test_a_bulk_update_followed_keeps_the_totals():
    claim = ClaimFactory()
    earlier = claim.created_at - datetime.timedelta(days=9)

    with tallies.following(Scope(claims=Q(pk=claim.pk))):
        Claim.objects.filter(pk=claim.pk).update(created_at=earlier)

    _assert_in_step()
    assert impact_figures().median_days_to_claim == 0.0


def test_the_nightly_recount_finds_drift_corrects_it_and_folds_the_rows(staff_user):
    WishFactory.create_batch(3, open=True)
    ClaimFactory.create_batch(2)
    # Written around the ORM's signals, as raw SQL or loaddata would.
    Wish.objects.filter(status=WishStatus.OPEN).update(status=WishStatus.WITHDRAWN)
    assert _stored() != _counted()

    with translation.override("en"):
        call_command("check_tallies", stdout=(out := _Output()))

    # The three wishes (of one campaign) left "open" and the waiting row, and entered
    # "withdrawn": three figures, and the summary line.
    lines = out.text.splitlines()
    assert len(lines) == 3 + 1
    assert lines[0].startswith("open ") and "was 3, the recount says 0" in lines[0]
    _assert_in_step()
    assert impact_numbers().waiting == 0
    # One row per figure and the marker.
    assert Tally.objects.count() == len(_counted()) + 1

    call_command("check_tallies", stdout=(again := _Output()))
    assert len(again.text.splitlines()) == 1
    assert tallies.rebuild() == []


def test_the_recount_is_one_of_the_scheduled_jobs():
    WishFactory(open=True)
    Wish.objects.update(status=WishStatus.DRAFT)

    # The wish's "open" and "draft" figures and its waiting row.
    assert JOBS["check_tallies"]() == {"corrected": 3}
    assert JOBS["check_tallies"]() == {"corrected": 0}
    _assert_in_step()


def test_before_the_first_build_the_pages_count_from_the_data():
    WishFactory.create_batch(2, open=True)
    Tally.objects.all().delete()

    assert impact_numbers().waiting == 2
    assert impact_figures().categories[0].published == 2

    tallies.rebuild()
    assert Tally.objects.filter(name=tallies.BUILT).count() == 1
    assert impact_numbers().waiting == 2


def test_migrate_builds_the_totals_when_they_are_missing():
    WishFactory(open=True)
    Tally.objects.all().delete()

    call_command("migrate", verbosity=0)

    assert Tally.objects.filter(name=tallies.BUILT).exists()
    _assert_in_step()


def test_a_load_rebuilt_after_counts_rows_written_in_bulk(caplog):
    child = ChildFactory()
    ConsentFactory(child=child)

    with tallies.rebuilt_after():
        wish = WishFactory(child=child, status=WishStatus.OPEN, published_at=timezone.now())
        Wish.objects.filter(pk=wish.pk).update(category=WishCategory.ARTS)

    _assert_in_step()
    assert impact_numbers().waiting == 1
    # A load changes the figures on purpose: it is not reported as drift.
    assert not [r for r in caplog.records if r.name == "wishes.reports.tallies"]


def test_city_platform_claims_count_by_centre_and_never_name_individuals():
    unit = SponsorFactory(verified=True, name="北蔡镇新时代文明实践分中心")
    person = SponsorFactory(verified=True, individual=True, name="爱心人士乙")
    ClaimFactory(sponsor=unit, channel=ClaimChannel.CITY_PLATFORM, external_ref="P-1")
    ClaimFactory(
        sponsor=unit,
        channel=ClaimChannel.CITY_PLATFORM,
        external_ref="P-2",
        claimant_name="联洋社区分中心",
    )
    ClaimFactory(sponsor=person, channel=ClaimChannel.CITY_PLATFORM, external_ref="P-3")

    _assert_in_step()
    assert impact_figures().platform_centres == [
        ("北蔡镇新时代文明实践分中心", 1),
        ("联洋社区分中心", 1),
    ]
    assert not Tally.objects.filter(key__contains="爱心人士乙").exists()


def test_verifying_a_sponsor_changes_no_figure(staff_user):
    sponsor = SponsorFactory()
    rows = Tally.objects.count()

    verify_sponsor(sponsor_id=sponsor.pk, by=staff_user)

    assert Tally.objects.count() == rows


def test_the_front_page_reads_its_numbers_in_one_query(django_assert_num_queries, client):
    WishFactory.create_batch(3, open=True)
    FulfilmentFactory()

    with django_assert_num_queries(1):
        impact, progress = front_page_numbers(None)

    assert (impact.waiting, impact.fulfilled, impact.units) == (3, 1, 1)
    assert progress is None
    page = client.get(reverse("home"))
    assert page.status_code == 200


class _Output:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass


@pytest.mark.parametrize(
    "role, status", [("staff", 200), ("superuser", 200), ("coordinator", 302), ("sponsor", 302)]
)
def test_the_back_office_shows_the_running_totals_read_only(client_for, role, status):
    WishFactory(open=True)
    url = reverse("admin:wishes_tally_changelist")

    response = client_for(role).get(url, {"name": tallies.OPEN})

    assert response.status_code == status
    if status == 200:
        assert response.context["cl"].result_count >= 1
        assert not response.context["has_add_permission"]
        tally = Tally.objects.filter(name=tallies.OPEN).first()
        change = client_for(role).post(
            reverse("admin:wishes_tally_change", args=[tally.pk]), {"n": 99}
        )
        assert change.status_code == 403
        assert Tally.objects.filter(n=99).count() == 0
