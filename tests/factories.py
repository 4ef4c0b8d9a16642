"""factory_boy factories for the domain; traits give the common states."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from sponsors.models import (
    MemberRole,
    Sponsor,
    SponsorKind,
    SponsorMember,
    UnitCategory,
    VerificationStatus,
)
from wishes.models import (
    Campaign,
    Child,
    Claim,
    ClaimStatus,
    Consent,
    ConsentMethod,
    DropOffPoint,
    Event,
    EventKind,
    Fulfilment,
    FulfilmentPhoto,
    Gender,
    HardshipCategory,
    ImportBatch,
    LetterStatus,
    Region,
    School,
    SchoolCoordinator,
    ThankYouLetter,
    Wish,
    WishCategory,
    WishStatus,
)

PASSWORD = "test-pass-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"区域{n}")


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"学校{n}")
    region = factory.SubFactory(RegionFactory)


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign
        django_get_or_create = ("year",)

    year = 2026
    name = factory.LazyAttribute(lambda c: f"{c.year} 圆梦季")
    starts_on = factory.LazyAttribute(lambda c: datetime.date(c.year, 1, 1))
    ends_on = factory.LazyAttribute(lambda c: datetime.date(c.year, 12, 31))


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Child

    real_name = factory.Sequence(lambda n: f"张小明{n}")
    alias = "小张同学"
    gender = Gender.BOY
    birth_year = 2016
    grade = 3
    class_name = "三(2)班"
    school = factory.SubFactory(SchoolFactory)
    home_region = factory.SelfAttribute("school.region")
    address = "花木路100弄1号"
    guardian_name = "张大明"
    guardian_phone = "13812345678"
    hardship_category = HardshipCategory.LOW_INCOME
    hardship_note = "家庭困难"


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    child = factory.SubFactory(ChildFactory)
    keep_record = True
    publish_wish = True
    share_photos_with_sponsor = True
    publish_photos = False
    share_letter_with_sponsor = True
    method = ConsentMethod.PAPER
    given_on = factory.LazyFunction(timezone.localdate)
    # Well beyond the renewal window whatever day the tests run (the default, the end of the
    # school year, comes within it every summer); `valid_until=None` gives the default.
    valid_until = factory.LazyAttribute(
        lambda consent: consent.given_on + datetime.timedelta(days=400)
    )
    given_by = "张大明"


class WishFactory(factory.django.DjangoModelFactory):
    """A draft wish by default; `WishFactory(open=True)` gives a published one."""

    class Meta:
        model = Wish
        skip_postgeneration_save = True

    child = factory.SubFactory(ChildFactory)
    campaign = factory.SubFactory(CampaignFactory)
    category = WishCategory.BOOKS
    child_words = "我想要一套科普书"
    public_text = "想要一套科普书"
    estimated_value = Decimal("120.00")

    class Params:
        open = factory.Trait(
            status=WishStatus.OPEN,
            published_at=factory.LazyFunction(timezone.now),
        )

    @factory.post_generation
    def consent(obj, create, extracted, **kwargs):
        # Published wishes come with the guardian's consent, as in real life.
        if create and obj.status != WishStatus.DRAFT:
            ConsentFactory(child=obj.child)


class SponsorFactory(factory.django.DjangoModelFactory):
    """A unit pending verification; `SponsorFactory(verified=True)` may claim."""

    class Meta:
        model = Sponsor

    kind = SponsorKind.UNIT
    name = factory.Sequence(lambda n: f"爱心单位{n}")
    unit_category = UnitCategory.ENTERPRISE
    region = factory.SubFactory(RegionFactory)
    contact_name = "李老师"
    phone = "13900001111"
    email = factory.Sequence(lambda n: f"sponsor{n}@example.org")

    class Params:
        verified = factory.Trait(status=VerificationStatus.VERIFIED)
        individual = factory.Trait(kind=SponsorKind.INDIVIDUAL, unit_category="")


class SponsorMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SponsorMember

    user = factory.SubFactory(UserFactory)
    sponsor = factory.SubFactory(SponsorFactory)
    # A sponsor's first member manages its team; pass role=MemberRole.MEMBER for colleagues.
    role = MemberRole.ADMINISTRATOR


class SchoolCoordinatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolCoordinator

    user = factory.SubFactory(UserFactory)
    school = factory.SubFactory(SchoolFactory)


class ClaimFactory(factory.django.DjangoModelFactory):
    """An active claim on a wish that is marked claimed."""

    class Meta:
        model = Claim

    wish = factory.SubFactory(
        WishFactory,
        status=WishStatus.CLAIMED,
        published_at=factory.LazyFunction(timezone.now),
    )
    sponsor = factory.SubFactory(SponsorFactory, verified=True)
    status = ClaimStatus.ACTIVE


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    kind = EventKind.SCHOOL_SESSION
    title = "圆梦专场"
    date = factory.LazyFunction(timezone.localdate)
    venue = "学校会议室"
    school = factory.SubFactory(SchoolFactory)
    campaign = factory.SubFactory(CampaignFactory)


class FulfilmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Fulfilment

    claim = factory.SubFactory(
        ClaimFactory, status=ClaimStatus.FULFILLED, wish__status=WishStatus.FULFILLED
    )
    fulfilled_on = factory.LazyFunction(timezone.localdate)


class FulfilmentPhotoFactory(factory.django.DjangoModelFactory):
    """A private photo of a fulfilment, with its thumbnail; `public=True` clears it."""

    class Meta:
        model = FulfilmentPhoto

    fulfilment = factory.SubFactory(FulfilmentFactory)
    image = factory.django.ImageField(filename="photo.jpg", format="JPEG", width=64, height=48)
    thumbnail = factory.django.ImageField(
        filename="thumbnail.jpg", format="JPEG", width=32, height=24
    )

    class Params:
        public = factory.Trait(is_public=True)


class ThankYouLetterFactory(factory.django.DjangoModelFactory):
    """A typed letter waiting for approval; `scanned=True` adds a scan, `approved=True`
    approves it (without the watermarked copy the service makes)."""

    class Meta:
        model = ThankYouLetter

    fulfilment = factory.SubFactory(FulfilmentFactory)
    transcription = "谢谢您送给我的礼物，我会好好学习。"
    # What the sponsor reads; the service drafts it from the transcription.
    shared_text = factory.SelfAttribute("transcription")

    class Params:
        scanned = factory.Trait(
            scan=factory.django.ImageField(
                filename="letter.jpg", format="JPEG", width=60, height=80
            )
        )
        approved = factory.Trait(
            status=LetterStatus.APPROVED,
            reviewed_at=factory.LazyFunction(timezone.now),
        )


class ImportBatchFactory(factory.django.DjangoModelFactory):
    """An uploaded children spreadsheet, not yet checked."""

    class Meta:
        model = ImportBatch

    file = factory.django.FileField(filename="children.csv", data="姓名,学校\n".encode())
    original_name = "children.csv"
    campaign = factory.SubFactory(CampaignFactory)


class DropOffPointFactory(factory.django.DjangoModelFactory):
    """The association's office, open to the gifts of every wish of the campaign."""

    class Meta:
        model = DropOffPoint

    campaign = factory.SubFactory(CampaignFactory)
    name = "花木志愿者协会办公室"
    address = "浦东新区花木街道办公楼一楼"
    opening_hours = "周一至周五 9:00-17:00"
    contact_phone = "021-58881234"


def save_each(queryset, **fields) -> None:
    """Set `fields` on every row of `queryset` and save each, as an edit in the back office
    would: unlike QuerySet.update(), the signals (the running totals among them) see it."""
    for row in queryset:
        for name, value in fields.items():
            setattr(row, name, value)
        row.save(update_fields=[*fields])
