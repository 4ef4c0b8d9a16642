"""Who takes part in the demo: its regions, schools and campaigns, the caring units and people.

The caring units are the real ones named in the programme's 2020 newsletter; every person,
phone number, address and e-mail address here is invented. The demo logins, with their
public password, act for some of these sponsors and for a school's coordinator.
"""

import datetime
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sponsors.models import SponsorKind, UnitCategory
from wishes.models import RegionKind

# Documented in the README and printed by `seed_demo --logins`; demo accounts only.
DEMO_PASSWORD = "huamu-demo-2026"  # noqa: S105

# ---------------------------------------------------------------------------------------
# Places, campaigns and sponsors
# ---------------------------------------------------------------------------------------

HUAMU = "花木街道"
BEICAI = "北蔡镇"
REGIONS = {HUAMU: RegionKind.SUBDISTRICT, BEICAI: RegionKind.TOWN}

HUAMU_CENTRAL = "花木中心小学"
YOUYOU = "由由小学"
HUALIN = "华林小学"
SCHOOLS = (HUAMU_CENTRAL, YOUYOU, HUALIN)

PAST_YEARS = (2019, 2020)

DANGQUN = "花木街道社区党群服务中心"
MUSEUM = "上海科技馆"
EXPO = "上海新国际博览中心"
HEALTH = "花木社区卫生服务中心"
MOBILE = "中国移动上海有限公司浦东分公司"
EXIT_ENTRY = "市公安局出入境管理局"
BEICAI_CENTRE = "北蔡镇新时代文明实践分中心"
CHEN = "陈晓岚"
ZHAO = "赵文博"
PENDING_UNIT = "花木示例文化传播有限公司"
PENDING_PERSON = "孙丽华"


@dataclass(frozen=True)
class SponsorSpec:
    name: str
    kind: str
    unit_category: str
    region: str
    contact_name: str
    phone: str
    email: str
    # None leaves the sponsor waiting for verification.
    verified_on: datetime.date | None


def _unit(
    name: str,
    category: str,
    contact: str,
    number: int,
    mailbox: str,
    verified_on: datetime.date | None,
    region: str = HUAMU,
) -> SponsorSpec:
    return SponsorSpec(
        name=name,
        kind=SponsorKind.UNIT,
        unit_category=category,
        region=region,
        contact_name=contact,
        phone=f"1380000{number:04d}",
        email=f"{mailbox}@example.org",
        verified_on=verified_on,
    )


def _individual(
    name: str, number: int, mailbox: str, verified_on: datetime.date | None
) -> SponsorSpec:
    return SponsorSpec(
        name=name,
        kind=SponsorKind.INDIVIDUAL,
        unit_category="",
        region=HUAMU,
        contact_name=name,
        phone=f"1380000{number:04d}",
        email=f"{mailbox}@example.org",
        verified_on=verified_on,
    )


EARLY_2019 = datetime.date(2019, 2, 18)
SPONSORS = (
    _unit(DANGQUN, UnitCategory.COMMUNITY_ORGANISATION, "周敏", 1, "dangqun", EARLY_2019),
    _unit(MUSEUM, UnitCategory.PUBLIC_INSTITUTION, "吴立群", 2, "museum", EARLY_2019),
    _unit(EXPO, UnitCategory.ENTERPRISE, "钱佳慧", 3, "expo", EARLY_2019),
    _unit(HEALTH, UnitCategory.PUBLIC_INSTITUTION, "郑医生", 4, "health", EARLY_2019),
    _unit(MOBILE, UnitCategory.ENTERPRISE, "冯晓东", 5, "mobile", EARLY_2019),
    _unit(
        EXIT_ENTRY,
        UnitCategory.GOVERNMENT_AGENCY,
        "蒋警官",
        6,
        "exit-entry",
        datetime.date(2020, 9, 28),
    ),
    _unit(
        BEICAI_CENTRE,
        UnitCategory.COMMUNITY_ORGANISATION,
        "褚文华",
        7,
        "beicai-practice",
        datetime.date(2020, 11, 10),
        region=BEICAI,
    ),
    _individual(CHEN, 8, "chen.xiaolan", EARLY_2019),
    _individual(ZHAO, 9, "zhao.wenbo", datetime.date(2020, 10, 8)),
    _unit(PENDING_UNIT, UnitCategory.ENTERPRISE, "何嘉伟", 10, "pending-unit", None),
    _individual(PENDING_PERSON, 11, "sun.lihua", None),
)


def campaign_name(year: int) -> str:
    return f"{year} 心手相连·圆梦花木"


# ---------------------------------------------------------------------------------------
# Demo logins
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: Promise
    hint: Promise


DEMO_LOGINS = (
    DemoLogin(
        "staff",
        _("association staff"),
        _("/admin/: publish a wish, verify the pending sponsor"),
    ),
    DemoLogin("admin", _("technical administrator"), _("/admin/ with every permission")),
    DemoLogin(
        "unit",
        _("caring unit (verified)"),
        _("claim wishes, batch-claim, cancel a claim on /sponsor/"),
    ),
    DemoLogin(
        "unit-colleague",
        _("member of the caring unit's team"),
        _(
            "claim for the unit; its administrator (unit) answers a waiting request to join "
            "on /sponsor/team/"
        ),
    ),
    DemoLogin(
        "person",
        _("caring individual (verified)"),
        _("claim a wish (individuals have a lower claim limit)"),
    ),
    DemoLogin(
        "pending", _("unit pending verification"), _("see that claiming waits for verification")
    ),
    DemoLogin(
        "coordinator",
        _("school coordinator"),
        format_lazy(_("the children of {school}"), school=HUAMU_CENTRAL),
    ),
)

# Which demo login acts for which sponsor: their claims are made online, by that user.
SPONSOR_LOGINS = {MUSEUM: "unit", CHEN: "person", PENDING_UNIT: "pending"}
# The demo unit's second member, and a colleague whose request to join waits for "unit".
TEAM_COLLEAGUE = "unit-colleague"
TEAM_NEWCOMER = "unit-newcomer"


def drop_off_point_specs() -> list[dict[str, str]]:
    """The current campaign's drop-off points: the association's office for every wish, the
    gate room of 花木中心小学 for its own children's."""
    return [
        {
            "name": "花木志愿者协会办公室",
            "address": "浦东新区花木街道社区党群服务中心一楼",
            "opening_hours": "周一至周五 9:00-17:00",
            "contact_phone": "021-58881234",
            "school": "",
        },
        {
            "name": "花木中心小学传达室",
            "address": "花木中心小学东门传达室",
            "opening_hours": "上学日 7:30-17:30",
            "contact_phone": "021-58882345",
            "school": HUAMU_CENTRAL,
        },
    ]
