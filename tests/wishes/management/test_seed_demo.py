"""`manage.py seed_demo`: idempotent, complete, reached through the services, and private."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from sponsors.models import Sponsor, SponsorKind, UnitCategory, VerificationStatus
from tests.factories import UserFactory
from wishes.management.commands.seed_demo import DEMO_PASSWORD
from wishes.management.commands.seed_demo import Command as SeedDemo
from wishes.management.demo.cast import BEICAI_CENTRE, DEMO_LOGINS, HUAMU_CENTRAL, MUSEUM
from wishes.management.demo.children import AVOIDED_NAMES, child_specs
from wishes.management.demo.loading import load_demo_data
from wishes.models import (
    PUBLISHED_STATUSES,
    Campaign,
    Child,
    Claim,
    ClaimChannel,
    ClaimStatus,
    Event,
    EventKind,
    Fulfilment,
    StatusChange,
    Wish,
    WishStatus,
)
from wishes.public.selectors import public_photos
from wishes.staff_group import STAFF_GROUP

pytestmark = pytest.mark.django_db

DEMO_USERNAMES = ["staff", "admin", "unit", "person", "pending", "coordinator"]


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def table_counts(*app_labels: str) -> dict[str, int]:
    """Rows in every table of the apps, many-to-many link tables included."""
    return {
        model._meta.label: model._default_manager.count()
        for label in app_labels
        for model in apps.get_app_config(label).get_models(include_auto_created=True)
    }


def test_run_early_in_the_year_dates_nothing_after_that_day():
    # 10 January: the Lei Feng day and the June dream meeting are still to come.
    today = datetime.date(timezone.localdate().year, 1, 10)
    load_demo_data(today=today)
    assert not Fulfilment.objects.filter(fulfilled_on__gt=today).exists()
    assert not Fulfilment.objects.filter(event__date__gt=today).exists()
    assert not StatusChange.objects.filter(at__date__gt=today).exists()
    assert set(Wish.objects.values_list("status", flat=True)) == set(WishStatus.values)


def test_logins_option_prints_the_logins_and_creates_nothing():
    before = table_counts("wishes", "sponsors")
    out = seed("--logins")
    assert DEMO_PASSWORD in out
    for login in DEMO_LOGINS:
        assert login.username in out
    counts = table_counts("wishes", "sponsors")
    assert counts == before
    # Only the running totals' marker, which migrate leaves, is there.
    assert {label for label, n in counts.items() if n} == {"wishes.Tally"}
    assert get_user_model().objects.count() == 0


def test_an_existing_account_keeps_its_password_and_rights():
    UserFactory(username="admin", is_staff=False)
    seed()
    admin = get_user_model().objects.get(username="admin")
    assert not admin.is_superuser
    assert authenticate(username="admin", password=DEMO_PASSWORD) is None


def test_refuses_to_load_on_a_site_with_debug_off(settings):
    settings.DEBUG = False
    settings.TESTING = False
    with pytest.raises(CommandError):
        seed()
    assert Wish.objects.count() == 0
    assert get_user_model().objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_loading_sends_no_mail(mailoutbox):
    # A real commit, so the services' after-commit notifications do fire.
    seed()
    assert Claim.objects.exists()
    assert mailoutbox == []


def test_help_describes_the_command_and_its_options():
    text = SeedDemo().create_parser("manage.py", "seed_demo").format_help()
    assert "--logins" in text
    assert "--force" in text
    assert "demo" in text


def test_children_are_the_same_on_every_run_and_fictitious():
    specs = child_specs(2026)
    assert specs == child_specs(2026)
    assert len(specs) == 40
    names = [spec.real_name for spec in specs]
    assert len(set(names)) == len(names)
    assert not set(names) & AVOIDED_NAMES
    assert not {spec.guardian_name for spec in specs} & AVOIDED_NAMES
    assert {spec.plan.school for spec in specs} == {"花木中心小学", "由由小学", "华林小学"}
    assert {spec.grade for spec in specs} <= {1, 2, 3, 4, 5}
    assert all(spec.guardian_phone.startswith("1390000") for spec in specs)
    assert all(50 <= spec.estimated_value <= 800 for spec in specs)
    assert len({spec.category for spec in specs}) >= 8


@pytest.fixture(scope="class")
def seeded_once(django_db_setup, django_db_blocker):
    """One seeded database for a whole class, rolled back after it."""
    # Each test still runs in its own savepoint inside this transaction, so what a test
    # writes is undone before the next one.
    with django_db_blocker.unblock(), transaction.atomic():
        seed()
        yield
        transaction.set_rollback(True)


@pytest.mark.usefixtures("seeded_once")
class TestSeededDatabase:
    """Checks that only read share one seeded database: seeding is the slow part."""

    def test_second_run_adds_nothing_to_any_table(self):
        first = table_counts("wishes", "sponsors", "auth")
        seed()
        assert table_counts("wishes", "sponsors", "auth") == first
        assert first["wishes.Wish"] == 40
        assert first["wishes.StatusChange"] > first["wishes.Wish"]

    def test_the_demo_unit_signed_up_for_an_event_and_earned_hours(self):
        from wishes.models import AttendeeStatus, EventSignup, SignupStatus

        today = timezone.localdate()
        signups = EventSignup.objects.filter(
            sponsor__name=MUSEUM, status=SignupStatus.ACTIVE
        ).select_related("event")
        assert any(signup.event.date > today for signup in signups)
        earned = [
            attendee
            for signup in signups
            for attendee in signup.attendees.filter(status=AttendeeStatus.CHECKED_IN)
        ]
        assert earned and all(a.signup.event.date <= today for a in earned)
        assert {a.hours for a in earned if a.user_id} == {Decimal("2.5")}
        # Claims made on the spot at an event are recorded with it.
        assert Claim.objects.exclude(event=None).exists()

    def test_every_wish_and_claim_status_appears(self):
        wish_statuses = set(Wish.objects.values_list("status", flat=True))
        claim_statuses = set(Claim.objects.values_list("status", flat=True))
        assert wish_statuses == set(WishStatus.values)
        assert claim_statuses == set(ClaimStatus.values)

    def test_the_demo_unit_and_coordinator_rated_fulfilled_wishes(self, client):
        from wishes.models import Feedback, FeedbackRole

        feedback = Feedback.objects.select_related("claim__sponsor", "given_by")
        assert {f.role for f in feedback} == set(FeedbackRole.values)
        assert {f.given_by.username for f in feedback} == {"unit", "coordinator"}
        assert all(f.claim.status == ClaimStatus.FULFILLED and f.comment for f in feedback)
        # Each one's newest fulfilled wish still waits, so its page shows the request.
        client.force_login(get_user_model().objects.get(username="unit"))
        assert 'id="feedback-heading"' in client.get(reverse("sponsors:dashboard")).text
        client.force_login(get_user_model().objects.get(username="coordinator"))
        assert 'id="feedback-heading"' in client.get(reverse("school:overview")).text
        # The impact page shows their average and count; the back office lists them.
        ratings = [f.rating for f in feedback]
        average = f"{round(sum(ratings) / len(ratings), 1):.1f}"
        impact = client.get(reverse("impact:index"), HTTP_ACCEPT_LANGUAGE="en").text
        assert f"Average rating {average} out of 5, over {len(ratings)} ratings." in impact
        client.force_login(get_user_model().objects.get(username="staff"))
        listing = client.get(reverse("admin:wishes_feedback_changelist"))
        assert listing.status_code == 200
        assert listing.context["cl"].result_count == len(ratings) >= 5

    def test_current_campaign_has_live_open_wishes_and_past_ones_are_mostly_fulfilled(self):
        this_year = timezone.localdate().year
        current = Wish.objects.filter(campaign__year=this_year)
        past = Wish.objects.filter(campaign__year__in=[2019, 2020])
        assert set(Campaign.objects.values_list("year", flat=True)) == {2019, 2020, this_year}
        assert current.filter(status=WishStatus.OPEN).count() > current.count() / 3
        assert past.filter(status=WishStatus.FULFILLED).count() > 0.9 * past.count()
        assert current.filter(status=WishStatus.DRAFT).exists()

    def test_each_demo_login_authenticates_and_has_its_role(self):
        users = {
            name: authenticate(username=name, password=DEMO_PASSWORD) for name in DEMO_USERNAMES
        }
        assert all(users.values())
        assert all(user.email.endswith("@example.org") for user in users.values())
        staff = users["staff"]
        assert staff.is_staff
        assert not staff.is_superuser
        assert staff.groups.filter(name=STAFF_GROUP).exists()
        assert users["admin"].is_superuser
        unit = users["unit"].sponsor_member.sponsor
        assert unit.name == MUSEUM
        assert unit.is_verified
        person = users["person"].sponsor_member.sponsor
        assert person.kind == SponsorKind.INDIVIDUAL
        assert person.is_verified
        pending = users["pending"].sponsor_member.sponsor
        assert pending.kind == SponsorKind.UNIT
        assert pending.status == VerificationStatus.PENDING
        assert users["coordinator"].school_coordinator.school.name == HUAMU_CENTRAL
        assert not users["coordinator"].is_staff

    def test_real_units_are_verified_with_their_category_and_others_wait(self):
        categories = dict(
            Sponsor.objects.filter(status=VerificationStatus.VERIFIED).values_list(
                "name", "unit_category"
            )
        )
        assert categories["上海科技馆"] == UnitCategory.PUBLIC_INSTITUTION
        assert categories["上海新国际博览中心"] == UnitCategory.ENTERPRISE
        assert categories["市公安局出入境管理局"] == UnitCategory.GOVERNMENT_AGENCY
        assert categories["花木街道社区党群服务中心"] == UnitCategory.COMMUNITY_ORGANISATION
        assert Sponsor.objects.get(name=BEICAI_CENTRE).region.name == "北蔡镇"
        pending_kinds = Sponsor.objects.filter(status=VerificationStatus.PENDING).values_list(
            "kind", flat=True
        )
        assert sorted(pending_kinds) == [SponsorKind.INDIVIDUAL, SponsorKind.UNIT]

    def test_published_wishes_have_a_public_text_without_the_childs_name(self):
        published = list(
            Wish.objects.filter(status__in=PUBLISHED_STATUSES).select_related("child")
        )
        assert published
        for wish in published:
            assert wish.public_text.strip()
            assert wish.child.real_name not in wish.public_text
        # Some children wrote their own name: the redaction really had something to remove.
        assert any(wish.child.real_name in wish.child_words for wish in published)

    def test_a_city_platform_claim_names_its_reference_and_claimant(self):
        claims = Claim.objects.filter(channel=ClaimChannel.CITY_PLATFORM).select_related(
            "sponsor", "wish__child__home_region", "wish__child__school"
        )
        assert claims
        for claim in claims:
            assert claim.external_ref
            assert claim.sponsor.name == BEICAI_CENTRE
            assert claim.claimant_name == BEICAI_CENTRE
            # The child lives in Beicai and studies in Huamu.
            assert claim.wish.child.home_region.name == "北蔡镇"
            assert claim.wish.child.school.region.name == "花木街道"

    def test_a_cancelled_claim_leaves_its_history_and_the_wish_back_in_the_pool(self):
        cancelled = Claim.objects.filter(
            status=ClaimStatus.CANCELLED, wish__status=WishStatus.OPEN
        )
        claim = cancelled.select_related("wish").first()
        assert claim is not None
        assert claim.cancel_reason
        wish_changes = StatusChange.objects.filter(
            object_id=claim.wish_id, content_type__model="wish"
        )
        assert list(wish_changes.values_list("from_status", "to_status")) == [
            ("", WishStatus.DRAFT),
            (WishStatus.DRAFT, WishStatus.OPEN),
            (WishStatus.OPEN, WishStatus.CLAIMED),
            (WishStatus.CLAIMED, WishStatus.OPEN),
        ]

    def test_history_reads_in_order_and_nothing_is_dated_in_the_future(self):
        now = timezone.now()
        assert not StatusChange.objects.filter(at__gt=now).exists()
        assert not Fulfilment.objects.filter(fulfilled_on__gt=timezone.localdate()).exists()
        by_subject: dict[tuple[int, int], list[datetime.datetime]] = {}
        for change in StatusChange.objects.order_by("id"):
            by_subject.setdefault((change.content_type_id, change.object_id), []).append(change.at)
        assert all(moments == sorted(moments) for moments in by_subject.values())
        # Past wishes carry their own year's dates, not the day the seed ran.
        wishes_2019 = Wish.objects.filter(campaign__year=2019)
        assert not wishes_2019.exclude(published_at__year=2019).exists()
        changes_2019 = StatusChange.objects.filter(
            content_type__model="wish", object_id__in=wishes_2019.values("pk")
        )
        assert changes_2019.exists()
        assert not changes_2019.exclude(at__year=2019).exists()

    def test_fulfilments_name_their_event_and_events_link_sponsors_and_wishes(self):
        assert set(Event.objects.values_list("kind", flat=True)) >= {
            EventKind.SCHOOL_SESSION,
            EventKind.DREAM_MEETING,
            EventKind.THANKS_EVENT,
            EventKind.LEI_FENG_DAY,
        }
        session = Event.objects.get(
            campaign__year=2020, kind=EventKind.SCHOOL_SESSION, school__name=HUAMU_CENTRAL
        )
        assert "会议室" in session.venue
        assert session.sponsors.exists()
        assert session.wishes.exists()
        assert Event.objects.filter(
            date__month=3, date__day=5, kind=EventKind.LEI_FENG_DAY
        ).exists()
        assert Event.objects.filter(date__month=12, date__day=5).exists()
        for fulfilment in Fulfilment.objects.exclude(event=None).select_related("event"):
            assert fulfilment.event.date == fulfilment.fulfilled_on

    def test_past_events_have_drawn_photos_cleared_for_their_public_page(self, client):
        photos = public_photos()
        events = Event.objects.filter(date__lt=timezone.localdate(), fulfilments__isnull=False)
        assert events.exists()
        for event in events.distinct():
            shown = photos.filter(fulfilment__event=event)
            assert 1 <= shown.count() <= 2, event.title
            html = client.get(reverse("events:detail", args=[event.pk])).text
            for photo in shown:
                assert reverse("files:photo_thumbnail", args=[photo.pk]) in html
        # A drawn scene, decoded and thumbnailed like an upload; an upcoming event has none.
        photo = photos.first()
        assert (photo.width, photo.height) == (1200, 800)
        assert photo.thumbnail
        assert not photos.filter(fulfilment__event__date__gt=timezone.localdate()).exists()

    def test_every_child_has_a_consent_and_drafts_lack_the_publishing_one(self):
        assert not Child.objects.filter(consents=None).exists()
        drafts = Wish.objects.filter(status=WishStatus.DRAFT)
        assert drafts.exists()
        for wish in drafts.select_related("child"):
            assert not wish.child.consents.filter(publish_wish=True).exists()

    def test_force_loads_even_with_debug_off(self, settings):
        settings.DEBUG = False
        settings.TESTING = False
        out = seed("--force")
        assert str(Wish._meta.verbose_name_plural) in out
