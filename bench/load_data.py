"""Fill the benchmark database: grows the number of wishes to --wishes, in bulk.

Run by bench/run.py with DATABASE_URL pointing at the benchmark database; never run it on
a database you care about. The first run adds the fixed cast (regions, schools, campaigns,
children with consents, sponsors, events, earlier years' totals, the benchmark sponsor
user); every run then adds wishes until there are --wishes of them. The spread is meant to
look like a programme in its later years: most wishes open or fulfilled, a few claimed,
drafts and withdrawn ones; claimed and fulfilled wishes have their claim, fulfilled ones
their fulfilment. The benchmark sponsor holds about 50 claims, each with its history, and
the fulfilled ones with photos and a letter.
"""

import argparse
import datetime
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huamu.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from huamu.cache import bump_public_version  # noqa: E402
from sponsors.models import (  # noqa: E402
    Sponsor,
    SponsorKind,
    SponsorMember,
    UnitCategory,
    VerificationStatus,
)
from wishes.models import (  # noqa: E402
    Campaign,
    Child,
    Claim,
    ClaimChannel,
    ClaimStatus,
    Consent,
    ConsentMethod,
    Event,
    EventKind,
    Fulfilment,
    FulfilmentPhoto,
    Gender,
    HardshipCategory,
    LetterStatus,
    PublicLocation,
    Region,
    School,
    SchoolCoordinator,
    StatusChange,
    ThankYouLetter,
    Wish,
    WishCategory,
    WishStatus,
    YearTotal,
    school_year_end,
)
from wishes.reports import tallies  # noqa: E402
from wishes.staff_group import STAFF_GROUP  # noqa: E402

BENCH_USERNAME = "bench_sponsor"
BENCH_SPONSOR = "上海科技馆（基准测试）"
BENCH_CLAIMS = 50
# The coordinator of a school with 1,000 children, and a member of the association's staff.
BENCH_COORDINATOR = "bench_coordinator"
BENCH_SCHOOL = "花木中心小学（基准测试）"
BENCH_SCHOOL_CHILDREN = 1000
BENCH_STAFF = "bench_staff"
CHILDREN = 5000
SPONSORS = 1500
EVENTS = 60
BATCH = 5000

REGIONS = ["花木街道", "北蔡镇", "张江镇", "金杨新村街道", "洋泾街道", "塘桥街道", "陆家嘴街道"]
SCHOOLS = [
    "花木中心小学",
    "由由小学",
    "华林小学",
    "东方小学",
    "明珠小学",
    "竹园小学",
    "进才实验小学",
    "建平实验中学",
    "香山中学",
    "北蔡中学",
    "张江高科实验小学",
    "洋泾实验小学",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
WISH_TEXTS = {
    WishCategory.STUDY: ["想要一个新书包", "想要一套文具", "想要一盏护眼台灯", "想要一本字典"],
    WishCategory.BOOKS: ["想要一套科普书", "想要一套童话书", "想要一本恐龙百科"],
    WishCategory.SPORTS: ["想要一个足球", "想要一双跑鞋", "想要一副羽毛球拍", "想要一根跳绳"],
    WishCategory.ARTS: ["想要一套水彩笔", "想要一把尤克里里", "想要一个画板"],
    WishCategory.ELECTRONICS: ["想要一个电子词典", "想要一个点读笔"],
    WishCategory.CLOTHING: ["想要一件冬天的羽绒服", "想要一双新球鞋"],
    WishCategory.DAILY: ["想要一床新被子", "想要一个保温杯"],
    WishCategory.EXPERIENCE: ["想去上海科技馆参观", "想去看一场话剧", "想去海洋馆"],
    WishCategory.OTHER: ["想要一个地球仪", "想要一套拼装模型"],
}
# Most wishes are waiting or came true; a few are claimed, drafts or withdrawn.
STATUS_WEIGHTS = {
    WishStatus.OPEN: 80,
    WishStatus.FULFILLED: 12,
    WishStatus.CLAIMED: 4,
    WishStatus.DRAFT: 2,
    WishStatus.WITHDRAWN: 2,
}


def _cast(rng: random.Random) -> None:
    """Regions, schools, campaigns, children, consents, sponsors, events: once."""
    today = timezone.localdate()
    regions = Region.objects.bulk_create(Region(name=name) for name in REGIONS)
    schools = School.objects.bulk_create(
        School(name=name, region=regions[i % len(regions)]) for i, name in enumerate(SCHOOLS)
    )
    bench_school = School.objects.create(name=BENCH_SCHOOL, region=regions[0])
    Campaign.objects.bulk_create(
        Campaign(
            year=year,
            name=f"{year} 圆梦季",
            starts_on=datetime.date(year, 1, 1),
            ends_on=datetime.date(year, 12, 31),
        )
        for year in range(today.year - 3, today.year + 1)
    )
    YearTotal.objects.bulk_create(
        YearTotal(year=year, wishes_fulfilled=15 + 3 * (year - 2013), units=8, individuals=10)
        for year in range(2013, today.year - 3)
    )
    children = Child.objects.bulk_create(
        (
            Child(
                real_name=f"{rng.choice(SURNAMES)}小{n}",
                alias=f"小{rng.choice(SURNAMES)}同学",
                gender=rng.choice(Gender.values),
                birth_year=today.year - 7 - (n % 9),
                grade=1 + n % 9,
                class_name=f"{1 + n % 9}({1 + n % 6})班",
                # The first 1,000 go to the coordinator's school, the others spread out.
                school=bench_school if n < BENCH_SCHOOL_CHILDREN else schools[n % len(schools)],
                home_region=regions[rng.randrange(len(regions))],
                guardian_name=f"{rng.choice(SURNAMES)}家长",
                guardian_phone="13812345678",
                hardship_category=rng.choice(HardshipCategory.values),
                public_location=rng.choices(
                    [PublicLocation.REGION, PublicLocation.SCHOOL, PublicLocation.NONE],
                    weights=[80, 15, 5],
                )[0],
                # A few records were withdrawn at the family's request.
                withdrawn_at=timezone.now() if n % 200 == 199 else None,
            )
            for n in range(CHILDREN + BENCH_SCHOOL_CHILDREN)
        ),
        batch_size=BATCH,
    )
    Consent.objects.bulk_create(
        (
            Consent(
                child=child,
                publish_wish=n % 40 != 0,
                share_photos_with_sponsor=True,
                share_letter_with_sponsor=True,
                publish_photos=n % 3 == 0,
                method=ConsentMethod.PAPER,
                given_on=today - datetime.timedelta(days=400),
                # Renewed for this school year: the scopes apply.
                valid_until=school_year_end(today),
                given_by="家长",
            )
            for n, child in enumerate(children)
        ),
        batch_size=BATCH,
    )
    sponsors = Sponsor.objects.bulk_create(
        (
            Sponsor(
                kind=SponsorKind.UNIT if n % 5 < 3 else SponsorKind.INDIVIDUAL,
                unit_category=UnitCategory.ENTERPRISE if n % 5 < 3 else "",
                name=f"爱心单位{n}" if n % 5 < 3 else f"爱心人士{n}",
                region=regions[n % len(regions)],
                contact_name="联系人",
                phone="13900001111",
                email=f"sponsor{n}@example.org",
                status=VerificationStatus.VERIFIED if n % 10 else VerificationStatus.PENDING,
            )
            for n in range(SPONSORS)
        ),
        batch_size=BATCH,
    )
    bench_sponsor = Sponsor.objects.create(
        kind=SponsorKind.UNIT,
        unit_category=UnitCategory.PUBLIC_INSTITUTION,
        name=BENCH_SPONSOR,
        region=regions[0],
        contact_name="基准",
        phone="13900002222",
        email="bench@example.org",
        status=VerificationStatus.VERIFIED,
    )
    user = get_user_model().objects.create_user(BENCH_USERNAME, "bench@example.org", None)
    SponsorMember.objects.create(user=user, sponsor=bench_sponsor)
    coordinator = get_user_model().objects.create_user(
        BENCH_COORDINATOR, "coordinator@example.org", None
    )
    SchoolCoordinator.objects.create(user=coordinator, school=bench_school)
    staff = get_user_model().objects.create_user(
        BENCH_STAFF, "staff@example.org", None, is_staff=True
    )
    staff.groups.add(Group.objects.get(name=STAFF_GROUP))
    campaigns = list(Campaign.objects.all())
    events = Event.objects.bulk_create(
        Event(
            kind=rng.choice(EventKind.values),
            title=f"圆梦活动 {n}",
            date=today - datetime.timedelta(days=20 * n - 60),
            venue="学校会议室",
            school=schools[n % len(schools)],
            campaign=campaigns[n % len(campaigns)],
            description="孩子们和爱心单位一起参加了圆梦活动。",
        )
        for n in range(EVENTS)
    )
    for event in events[:10]:
        event.sponsors.add(*rng.sample(sponsors, 5))


def _add_wishes(rng: random.Random, count: int, first_code: int) -> None:
    """Add `count` wishes with their claims and fulfilments, in batches."""
    now = timezone.now()
    # One child in fifty of the coordinator's school never gets a wish, at every size, so
    # the school's "children without a wish" list has rows to show at 1,000 and 100,000.
    children = [
        pk
        for pk, name in Child.objects.values_list("pk", "school__name")
        if name != BENCH_SCHOOL or pk % 50
    ]
    campaigns = {c.year: c.pk for c in Campaign.objects.all()}
    sponsors = list(
        Sponsor.objects.filter(status=VerificationStatus.VERIFIED)
        .exclude(name=BENCH_SPONSOR)
        .values_list("pk", flat=True)
    )
    events = list(Event.objects.values_list("pk", flat=True))
    bench_sponsor = Sponsor.objects.get(name=BENCH_SPONSOR)
    bench_claims = Claim.objects.filter(sponsor=bench_sponsor).count()
    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    made = 0
    while made < count:
        size = min(BATCH, count - made)
        wishes = []
        for i in range(size):
            status = rng.choices(statuses, weights)[0]
            published = now - datetime.timedelta(minutes=rng.randrange(3 * 365 * 24 * 60))
            category = rng.choice(WishCategory.values)
            text = rng.choice(WISH_TEXTS[category])
            wishes.append(
                Wish(
                    code=f"HM{published.year}-{first_code + made + i:06d}",
                    child_id=rng.choice(children),
                    campaign_id=campaigns.get(published.year, max(campaigns.values())),
                    category=category,
                    child_words=f"我{text[1:]}",
                    public_text="" if status == WishStatus.DRAFT else text,
                    estimated_value=Decimal(rng.randrange(3000, 80000)) / 100,
                    status=status,
                    published_at=None if status == WishStatus.DRAFT else published,
                )
            )
        with transaction.atomic():
            wishes = Wish.objects.bulk_create(wishes)
            claims = []
            for wish in wishes:
                if wish.status not in (WishStatus.CLAIMED, WishStatus.FULFILLED):
                    continue
                if bench_claims < BENCH_CLAIMS:
                    sponsor_id, bench_claims = bench_sponsor.pk, bench_claims + 1
                else:
                    sponsor_id = rng.choice(sponsors)
                claims.append(
                    Claim(
                        wish=wish,
                        sponsor_id=sponsor_id,
                        status=ClaimStatus.ACTIVE
                        if wish.status == WishStatus.CLAIMED
                        else ClaimStatus.FULFILLED,
                        channel=ClaimChannel.ONLINE
                        if rng.random() < 0.8
                        else ClaimChannel.OFFLINE,
                        promised_on=(wish.published_at + datetime.timedelta(days=40)).date(),
                    )
                )
            claims = Claim.objects.bulk_create(claims)
            Fulfilment.objects.bulk_create(
                Fulfilment(
                    claim=claim,
                    fulfilled_on=min(
                        now.date(), (claim.wish.published_at + datetime.timedelta(days=30)).date()
                    ),
                    event_id=rng.choice(events) if rng.random() < 0.5 else None,
                )
                for claim in claims
                if claim.status == ClaimStatus.FULFILLED
            )
        made += size


def _bench_sponsor_story() -> None:
    """Give the benchmark sponsor's claims what a real dashboard shows: each claim's history,
    and for each fulfilled one two photos and an approved letter. Once; the rows name
    files that are not there, which the dashboard only links to."""
    claims = list(Claim.objects.filter(sponsor__name=BENCH_SPONSOR).select_related("fulfilment"))
    claim_type = ContentType.objects.get_for_model(Claim)
    if StatusChange.objects.filter(
        content_type=claim_type, object_id__in=[claim.pk for claim in claims]
    ).exists():
        return
    user = get_user_model().objects.get(username=BENCH_USERNAME)
    changes, photos, letters = [], [], []
    for claim in claims:
        changes.append(
            StatusChange(
                content_type=claim_type,
                object_id=claim.pk,
                from_status="",
                to_status=ClaimStatus.ACTIVE,
                by=user,
                at=claim.created_at,
            )
        )
        if claim.status != ClaimStatus.FULFILLED:
            continue
        fulfilment = claim.fulfilment
        changes.append(
            StatusChange(
                content_type=claim_type,
                object_id=claim.pk,
                from_status=ClaimStatus.ACTIVE,
                to_status=ClaimStatus.FULFILLED,
                at=claim.created_at,
                note="圆梦活动现场交付",
            )
        )
        for n in range(2):
            photos.append(
                FulfilmentPhoto(
                    fulfilment=fulfilment,
                    image=f"photos/bench/{fulfilment.pk}-{n}.jpg",
                    thumbnail=f"photos/bench/{fulfilment.pk}-{n}-thumb.jpg",
                    width=1600,
                    height=1200,
                )
            )
        letters.append(
            ThankYouLetter(
                fulfilment=fulfilment,
                scan=f"letters/bench/{fulfilment.pk}.png",
                # Given, so that Django does not open the (absent) scan to measure it.
                scan_width=1240,
                scan_height=1754,
                preview=f"letters/bench/{fulfilment.pk}-copy.jpg",
                transcription="谢谢叔叔阿姨送给我的礼物，我会好好学习，长大了也去帮助别人！",
                status=LetterStatus.APPROVED,
                reviewed_at=timezone.now(),
            )
        )
    with transaction.atomic():
        StatusChange.objects.bulk_create(changes)
        FulfilmentPhoto.objects.bulk_create(photos)
        ThankYouLetter.objects.bulk_create(letters)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wishes", type=int, required=True, help="total number of wishes")
    parser.add_argument("--seed", type=int, default=2013)
    args = parser.parse_args()
    started = time.monotonic()
    existing = Wish.objects.count()
    rng = random.Random(args.seed + existing)  # noqa: S311 - made-up data, not secrets
    # bulk_create sends no signals: the running totals are recounted once at the end.
    with tallies.rebuilt_after():
        if not Region.objects.exists():
            _cast(rng)
        if args.wishes > existing:
            _add_wishes(rng, args.wishes - existing, first_code=existing + 1)
        _bench_sponsor_story()
    with connection.cursor() as cursor:
        # Fresh statistics and visibility map, as autovacuum would give a database that
        # grew slowly (without the map, index-only counts read every row after all).
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    # bulk_create sends no signals: tell the app servers that every public page changed.
    bump_public_version()
    print(
        f"{Wish.objects.count()} wishes, {Claim.objects.count()} claims, "
        f"{Child.objects.count()} children, {Sponsor.objects.count()} sponsors "
        f"in {time.monotonic() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
