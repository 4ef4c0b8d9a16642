"""Fictitious demo data for `manage.py seed_demo`, loaded through the real services.

The caring units are the real ones named in the programme's 2020 newsletter; every person,
phone number, address and e-mail address here is invented. Children's names come from a
random generator with a fixed seed, so every run builds the same cast.

Loading is idempotent: natural keys (names, years, usernames, a child's school and name) find
what an earlier run made, and a wish's story (publish, claim, cancel, fulfil, withdraw) is
played only when the wish itself is new, so a second run changes nothing. Accounts that
already exist are left exactly as they are.
"""

import datetime
import functools
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sponsors.models import Sponsor, SponsorKind, SponsorMember, UnitCategory
from sponsors.services import verify_sponsor
from wishes.models import (
    Campaign,
    Child,
    Claim,
    ClaimChannel,
    Consent,
    ConsentMethod,
    Event,
    EventKind,
    Gender,
    HardshipCategory,
    PublicLocation,
    Region,
    RegionKind,
    School,
    SchoolCoordinator,
    StatusChange,
    ThankYouLetter,
    Wish,
    WishCategory,
    WishStatus,
)
from wishes.privacy.redaction import redact_for_child
from wishes.services import (
    cancel_claim,
    claim_wish,
    publish_wish,
    record_fulfilment,
    withdraw_wish,
)
from wishes.staff_group import ensure_staff_group

# Documented in the README and printed by `seed_demo --logins`; demo accounts only.
DEMO_PASSWORD = "huamu-demo-2026"  # noqa: S105

# The seed of the name generator: change it and every demo child gets another name.
NAME_SEED = 20131205

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

# ---------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventSpec:
    key: str
    kind: str
    title: str
    date: datetime.date
    venue: str
    school: str | None
    sponsors: tuple[str, ...]
    description: str

    @property
    def year(self) -> int:
        return self.date.year


def event_specs(current_year: int) -> list[EventSpec]:
    """The fulfilment events of the two past campaigns and of the current one."""
    y = current_year
    d = datetime.date
    return [
        EventSpec(
            "2019-leifeng",
            EventKind.LEI_FENG_DAY,
            "2019年“3·5”学雷锋日·梦想现场认领",
            d(2019, 3, 5),
            DANGQUN,
            None,
            (DANGQUN, MUSEUM, EXPO, HEALTH, MOBILE, CHEN),
            "驻区单位和爱心人士在学雷锋日现场认领梦想儿童的心愿。",
        ),
        EventSpec(
            "2019-dream",
            EventKind.DREAM_MEETING,
            "2019年“六一”梦想见面会",
            d(2019, 6, 1),
            "由由小学多功能厅",
            YOUYOU,
            (DANGQUN, MUSEUM, CHEN),
            "爱心单位和爱心人士与梦想儿童见面，把心愿礼物送到孩子们手中。",
        ),
        EventSpec(
            "2019-session",
            EventKind.SCHOOL_SESSION,
            "2019年“心手相连·圆梦花木”花木中心小学专场",
            d(2019, 12, 5),
            "花木中心小学会议室",
            HUAMU_CENTRAL,
            (DANGQUN, MUSEUM, EXPO, HEALTH, MOBILE),
            "“12·5”国际志愿者日，驻区单位的党员代表在学校会议室为梦想儿童圆梦。",
        ),
        EventSpec(
            "2020-youyou",
            EventKind.SCHOOL_SESSION,
            "2020年由由小学圆梦活动",
            d(2020, 12, 2),
            "由由小学会议室",
            YOUYOU,
            (EXIT_ENTRY,),
            "市公安局出入境管理局的警官们为孩子们圆梦，还送上了特别的礼物。",
        ),
        EventSpec(
            "2020-hualin",
            EventKind.SCHOOL_SESSION,
            "2020年华林小学圆梦活动",
            d(2020, 12, 3),
            "华林小学会议室",
            HUALIN,
            (EXIT_ENTRY, DANGQUN),
            "警官们和社区党员代表为华林小学的梦想儿童圆梦。",
        ),
        EventSpec(
            "2020-session",
            EventKind.SCHOOL_SESSION,
            "2020年“心手相连·圆梦花木”花木中心小学专场",
            d(2020, 12, 4),
            "花木中心小学会议室",
            HUAMU_CENTRAL,
            (DANGQUN, MUSEUM, EXPO, HEALTH, MOBILE, BEICAI_CENTRE),
            "驻区单位的党员代表为梦想儿童圆梦；一个心愿通过市新时代文明实践综合服务平台"
            "发布，由北蔡镇新时代文明实践分中心跨区域认领。",
        ),
        EventSpec(
            "2020-thanks",
            EventKind.THANKS_EVENT,
            "2020年感恩专场",
            d(2020, 12, 18),
            DANGQUN,
            None,
            (DANGQUN, MUSEUM, EXPO, HEALTH, MOBILE, EXIT_ENTRY, BEICAI_CENTRE),
            "梦想儿童送上亲手制作的感谢信，并表演了才艺节目。",
        ),
        EventSpec(
            "now-leifeng",
            EventKind.LEI_FENG_DAY,
            f"{y}年“3·5”学雷锋日·梦想现场认领",
            d(y, 3, 5),
            DANGQUN,
            None,
            (DANGQUN, EXPO, HEALTH, MOBILE),
            "驻区单位在学雷锋日现场认领梦想儿童的心愿。",
        ),
        EventSpec(
            "now-dream",
            EventKind.DREAM_MEETING,
            f"{y}年“六一”梦想见面会",
            d(y, 6, 1),
            "华林小学多功能厅",
            HUALIN,
            (EXPO, HEALTH),
            "儿童节当天，爱心单位与梦想儿童见面并为他们圆梦。",
        ),
        EventSpec(
            "now-125",
            EventKind.OTHER,
            f"{y}年“12·5”国际志愿者日·心手相连圆梦花木",
            d(y, 12, 5),
            DANGQUN,
            None,
            (DANGQUN, MUSEUM, BEICAI_CENTRE, CHEN),
            "国际志愿者日集中圆梦活动，已认领的心愿将在活动现场送到孩子们手中。",
        ),
        EventSpec(
            "now-thanks",
            EventKind.THANKS_EVENT,
            f"{y}年感恩专场",
            d(y, 12, 18),
            "由由小学会议室",
            YOUYOU,
            (DANGQUN, MUSEUM, EXPO, HEALTH),
            "孩子们送上感谢信并表演才艺，感谢爱心单位和爱心人士。",
        ),
    ]


# ---------------------------------------------------------------------------------------
# Children, their wishes, and the story each wish goes through
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WishPlan:
    """Where a demo wish's story ends, and who and what it meets on the way."""

    year: int
    outcome: str
    school: str
    sponsor: str = ""
    event: str = ""  # the event where it is (or will be) fulfilled
    claim_event: str = ""  # the event where it was claimed on site
    channel: str = ""  # empty: online for a sponsor with a demo login, else offline
    external_ref: str = ""
    claimed_on: datetime.date | None = None
    cancelled_by: str = ""  # a sponsor whose earlier claim was cancelled
    cancel_reason: str = ""
    withdraw_reason: str = ""
    home_region: str = HUAMU
    letter: bool = False


def wish_plans(current_year: int) -> list[WishPlan]:
    """Forty stories: most past wishes fulfilled, current ones in every state."""
    y = current_year
    fulfilled, claimed = WishStatus.FULFILLED, WishStatus.CLAIMED
    open_, draft = WishStatus.OPEN, WishStatus.DRAFT
    units_2019 = (DANGQUN, MUSEUM, EXPO, HEALTH, MOBILE)
    return [
        # 2019: claimed on site on Lei Feng day, fulfilled in June or on 12·5.
        *(
            WishPlan(2019, fulfilled, HUAMU_CENTRAL, s, "2019-session", "2019-leifeng")
            for s in units_2019
        ),
        WishPlan(2019, fulfilled, YOUYOU, CHEN, "2019-dream", "2019-leifeng"),
        WishPlan(2019, fulfilled, YOUYOU, MUSEUM, "2019-dream", "2019-leifeng"),
        WishPlan(2019, fulfilled, HUALIN, DANGQUN, "2019-dream", "2019-leifeng"),
        # 2020: the campaign of the newsletter.
        *(WishPlan(2020, fulfilled, HUAMU_CENTRAL, s, "2020-session") for s in units_2019),
        WishPlan(
            2020,
            fulfilled,
            HUAMU_CENTRAL,
            BEICAI_CENTRE,
            "2020-session",
            channel=ClaimChannel.CITY_PLATFORM,
            external_ref="SHXSD-2020-120431",
            claimed_on=datetime.date(2020, 11, 20),
            home_region=BEICAI,
        ),
        WishPlan(2020, fulfilled, YOUYOU, EXIT_ENTRY, "2020-youyou"),
        WishPlan(2020, fulfilled, YOUYOU, EXIT_ENTRY, "2020-youyou"),
        WishPlan(2020, fulfilled, HUALIN, EXIT_ENTRY, "2020-hualin"),
        WishPlan(2020, fulfilled, HUALIN, EXIT_ENTRY, "2020-hualin"),
        WishPlan(
            2020,
            fulfilled,
            HUALIN,
            DANGQUN,
            "2020-hualin",
            cancelled_by=ZHAO,
            cancel_reason="临时出差，无法按时送达，改由社区党群服务中心认领。",
        ),
        # The current campaign: live open wishes, some claimed, a few drafts.
        WishPlan(y, draft, HUAMU_CENTRAL),
        WishPlan(y, draft, YOUYOU),
        WishPlan(y, draft, HUALIN),
        WishPlan(y, WishStatus.WITHDRAWN, YOUYOU, withdraw_reason="孩子随父母回老家上学。"),
        WishPlan(y, fulfilled, HUALIN, EXPO, "now-dream", "now-leifeng", letter=True),
        WishPlan(y, fulfilled, HUALIN, HEALTH, "now-dream", "now-leifeng", letter=True),
        WishPlan(y, claimed, HUAMU_CENTRAL, MUSEUM, "now-125"),
        WishPlan(y, claimed, YOUYOU, MUSEUM, "now-125"),
        WishPlan(y, claimed, HUALIN, CHEN, "now-125"),
        WishPlan(
            y,
            claimed,
            HUAMU_CENTRAL,
            BEICAI_CENTRE,
            "now-125",
            channel=ClaimChannel.CITY_PLATFORM,
            external_ref=f"SHXSD-{y}-110287",
            claimed_on=datetime.date(y, 11, 3),
            home_region=BEICAI,
        ),
        WishPlan(
            y,
            claimed,
            HUAMU_CENTRAL,
            DANGQUN,
            "now-125",
            cancelled_by=ZHAO,
            cancel_reason="家中有事，暂时无法完成，心愿退回由其他单位认领。",
        ),
        WishPlan(
            y, open_, YOUYOU, cancelled_by=EXPO, cancel_reason="活动档期冲突，改为认领其他心愿。"
        ),
        WishPlan(y, open_, HUAMU_CENTRAL),
        WishPlan(y, open_, YOUYOU),
        WishPlan(y, open_, HUALIN),
        WishPlan(y, open_, HUAMU_CENTRAL, home_region=BEICAI),
        WishPlan(y, open_, YOUYOU),
        WishPlan(y, open_, HUALIN),
        WishPlan(y, open_, HUAMU_CENTRAL),
        WishPlan(y, open_, YOUYOU),
        WishPlan(y, open_, HUALIN),
    ]


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蔡蒋余"
    "杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶"
)
# fmt: off
BOY_NAMES = (
    "浩然", "子轩", "宇航", "俊杰", "一鸣", "思远", "明轩", "天佑", "嘉豪", "博文",
    "泽宇", "梓睿", "晨阳", "志远", "铭", "磊", "涛", "昊", "杰", "凯",
)
GIRL_NAMES = (
    "欣怡", "梓涵", "诗琪", "雨桐", "思彤", "佳怡", "梦瑶", "语嫣", "可馨", "若曦",
    "静怡", "雅琪", "晓雯", "子萱", "婷", "悦", "琳", "萌", "颖", "洁",
)
FATHER_NAMES = ("建国", "志强", "海军", "永明", "卫东", "国华", "立新", "建平", "勇", "伟")
MOTHER_NAMES = ("丽娟", "秀英", "美玲", "春燕", "桂芳", "红梅", "晓燕", "敏", "芳", "霞")
GRANDMOTHER_NAMES = ("秀珍", "桂英", "凤英", "淑兰")
# fmt: on
# Never given to a demo child or guardian: the real people named in the source newsletter,
# and names that read as a brand.
AVOIDED_NAMES = frozenset({"顾燕峰", "杨扬", "徐选国", "潘婷"})
CHINESE_DIGITS = "一二三四五六七八九"
# Invented street names: no demo address points at a real home.
STREETS = {HUAMU: ("春晖路", "晨曦路", "青桐路", "紫薇路", "秋实路"), BEICAI: ("丰年路", "绿野路")}

HARDSHIP_NOTES = {
    HardshipCategory.LOW_INCOME: "父母打零工，家庭收入低。",
    HardshipCategory.SINGLE_PARENT: "父母离异，孩子由母亲一人抚养。",
    HardshipCategory.ILLNESS: "父亲患重病，长期治疗，家中开支紧张。",
    HardshipCategory.DISABILITY: "父亲肢体残疾，无法外出工作。",
    HardshipCategory.MIGRANT: "随父母来沪务工，一家四口租住一间小屋。",
    HardshipCategory.OTHER: "父母在外地工作，孩子由奶奶照顾。",
}

# (category, what the child asks for, why, estimated value in yuan)
WISH_ITEMS = (
    (WishCategory.STUDY, "一个新书包", "我的书包背带断了，妈妈缝了好几次", 150),
    (WishCategory.STUDY, "一盏护眼台灯", "晚上写作业的时候灯太暗了", 200),
    (WishCategory.STUDY, "一张可以调高度的书桌", "现在我趴在饭桌上写作业", 600),
    (WishCategory.STUDY, "一套文具和一本新华字典", "我想把字写得更漂亮", 80),
    (WishCategory.BOOKS, "一套科普书", "我想知道恐龙为什么会灭绝", 180),
    (WishCategory.BOOKS, "一套《十万个为什么》", "我有好多问题想找到答案", 160),
    (WishCategory.BOOKS, "一套英语绘本", "我想把英语学好", 120),
    (WishCategory.BOOKS, "一套中国历史故事书", "我最喜欢听历史故事", 140),
    (WishCategory.SPORTS, "一个篮球", "我想参加学校的篮球队", 150),
    (WishCategory.SPORTS, "一个足球", "课间想和同学们一起踢球", 120),
    (WishCategory.SPORTS, "一副羽毛球拍", "周末想和爸爸一起打羽毛球", 160),
    (WishCategory.SPORTS, "一双轮滑鞋", "我想学轮滑", 300),
    (WishCategory.ARTS, "一架电子琴", "我在学校合唱队，想学弹琴", 700),
    (WishCategory.ARTS, "一盒水彩颜料和画本", "我想画出花木的四季", 90),
    (WishCategory.ARTS, "一把尤克里里", "音乐老师说我的节奏感很好", 300),
    (WishCategory.ARTS, "一支口琴", "我想在感恩会上表演", 120),
    (WishCategory.ELECTRONICS, "一台天文望远镜", "我想看看月亮上的环形山", 500),
    (WishCategory.ELECTRONICS, "一支点读笔", "它可以帮我练习英语发音", 280),
    (WishCategory.ELECTRONICS, "一台学习用的电子词典", "查单词会更方便", 400),
    (WishCategory.CLOTHING, "一件羽绒服", "冬天早上上学的时候很冷", 400),
    (WishCategory.CLOTHING, "一双运动鞋", "我的鞋子已经小了", 250),
    (WishCategory.CLOTHING, "一件新棉衣和一副手套", "冬天手总是冻得发红", 300),
    (WishCategory.DAILY, "一床厚棉被", "冬天晚上睡觉很冷", 300),
    (WishCategory.DAILY, "一个保温杯", "我想在学校也能喝到热水", 80),
    (WishCategory.EXPERIENCE, "去上海科技馆参观一次", "我想看看机器人和宇宙展", 150),
    (WishCategory.EXPERIENCE, "去天文馆看星星", "长大以后我想当一名宇航员", 150),
    (WishCategory.EXPERIENCE, "登上东方明珠看看上海", "我想从高处看看我们的城市", 200),
    (WishCategory.EXPERIENCE, "去海洋水族馆看鲨鱼", "我最喜欢海洋动物", 300),
    (WishCategory.OTHER, "给奶奶买一个暖手宝", "奶奶的手一到冬天就很冷", 60),
)

# How children write: some name themselves and their class, which redaction then masks.
WISH_WORDS = (
    "我叫{name}，在{school}{class_name}读书。我的梦想是{item}，因为{reason}。",
    "我的梦想是{item}。{reason}，如果能实现，我会更加努力学习！",
    "叔叔阿姨好！我想要{item}，因为{reason}。谢谢你们！",
)


@dataclass(frozen=True)
class ChildSpec:
    """One demo child with the wish they write; everything in it is invented."""

    number: int
    plan: WishPlan
    real_name: str
    alias: str
    gender: str
    birth_year: int
    grade: int
    class_name: str
    address: str
    guardian_name: str
    guardian_phone: str
    hardship_category: str
    public_location: str
    consent_method: str
    category: str
    item: str
    child_words: str
    estimated_value: Decimal

    @property
    def consents_to_publish(self) -> bool:
        # Draft wishes stay drafts because the guardian has not (yet) agreed to publish.
        return self.plan.outcome != WishStatus.DRAFT

    @property
    def hardship_note(self) -> str:
        return HARDSHIP_NOTES[self.hardship_category]

    @property
    def registered_on(self) -> datetime.date:
        if self.consents_to_publish:
            return self.published_on - datetime.timedelta(days=5)
        return datetime.date(self.plan.year, 10, 20) + datetime.timedelta(days=self.number % 20)

    @property
    def published_on(self) -> datetime.date:
        plan = self.plan
        if plan.claim_event:
            # Shortly before the Lei Feng day where sponsors claim on site.
            return datetime.date(plan.year, 2, 25)
        if plan.year in PAST_YEARS:
            return datetime.date(plan.year, 10, 12) + datetime.timedelta(days=self.number % 5)
        # Current wishes trickle in over the year, so the newest list looks lived-in.
        offset = (self.number * 23) % 220
        return datetime.date(plan.year, 2, 25) + datetime.timedelta(days=offset)


def child_specs(current_year: int) -> list[ChildSpec]:
    """The demo children, the same on every run (the generator has a fixed seed)."""
    # Reproducible demo data, not security: a seeded generator is what we want here.
    rng = random.Random(NAME_SEED)  # noqa: S311
    # Shuffled once, then dealt in turn: every item appears before any comes back.
    items = list(WISH_ITEMS)
    rng.shuffle(items)
    taken: set[str] = set(AVOIDED_NAMES)
    specs = []
    for number, plan in enumerate(wish_plans(current_year), start=1):
        gender = rng.choice((Gender.GIRL, Gender.BOY))
        names = GIRL_NAMES if gender == Gender.GIRL else BOY_NAMES
        while True:
            surname = rng.choice(SURNAMES)
            real_name = surname + rng.choice(names)
            if real_name not in taken:
                break
        taken.add(real_name)
        hardship = rng.choice(list(HardshipCategory))
        guardian_name = _guardian(rng, surname, hardship)
        grade = rng.randint(1, 5)
        class_name = f"{CHINESE_DIGITS[grade - 1]}({rng.randint(1, 6)})班"
        category, item, reason, value = items[(number - 1) % len(items)]
        words = rng.choice(WISH_WORDS).format(
            name=real_name, school=plan.school, class_name=class_name, item=item, reason=reason
        )
        street = rng.choice(STREETS[plan.home_region])
        specs.append(
            ChildSpec(
                number=number,
                plan=plan,
                real_name=real_name,
                alias=f"小{surname}同学",
                gender=gender,
                birth_year=plan.year - 6 - grade,
                grade=grade,
                class_name=class_name,
                address=(
                    f"浦东新区{street}{rng.randint(10, 999)}弄"
                    f"{rng.randint(1, 60)}号{rng.randint(1, 6)}0{rng.randint(1, 4)}室"
                ),
                guardian_name=guardian_name,
                # 139 0000 xxxx: fictitious, and unique per child.
                guardian_phone=f"1390000{number:04d}",
                hardship_category=hardship,
                public_location=rng.choices(
                    (PublicLocation.REGION, PublicLocation.SCHOOL, PublicLocation.NONE),
                    weights=(6, 3, 1),
                )[0],
                consent_method=rng.choice(list(ConsentMethod)),
                category=category,
                item=item,
                child_words=words,
                estimated_value=Decimal(value),
            )
        )
    return specs


def _guardian(rng: random.Random, surname: str, hardship: str) -> str:
    """A guardian who fits the family's situation (a mother for a single-parent family...)."""
    while True:
        if hardship == HardshipCategory.OTHER:
            name = rng.choice(SURNAMES) + rng.choice(GRANDMOTHER_NAMES)
        elif hardship in (HardshipCategory.SINGLE_PARENT, HardshipCategory.ILLNESS):
            name = rng.choice(SURNAMES) + rng.choice(MOTHER_NAMES)
        elif hardship == HardshipCategory.DISABILITY or rng.random() < 0.5:
            name = surname + rng.choice(FATHER_NAMES)
        else:
            name = rng.choice(SURNAMES) + rng.choice(MOTHER_NAMES)
        if name not in AVOIDED_NAMES:
            return name


def letter_text(item: str) -> str:
    return (
        f"亲爱的叔叔阿姨：谢谢你们送给我{item}！我会更加努力学习，"
        "长大以后也像你们一样去帮助需要帮助的人。"
    )


# ---------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------


class _Clock:
    """Turns the stories' calendar dates into timestamps that are never in the future."""

    def __init__(self, today: datetime.date) -> None:
        self.today = today
        self.now = min(timezone.now(), self._at(today, datetime.time(23, 59)))

    @staticmethod
    def _at(day: datetime.date, time: datetime.time) -> datetime.datetime:
        return datetime.datetime.combine(day, time, tzinfo=timezone.get_current_timezone())

    def day(self, day: datetime.date) -> datetime.date:
        return min(day, self.today)

    def moment(self, day: datetime.date) -> datetime.datetime:
        return min(self._at(day, datetime.time(10)), self.now)


def _stamp(obj: models.Model, moment: datetime.datetime, **fields: Any) -> None:
    """Date a row as if it had been made at `moment` (created_at is set on insert)."""
    type(obj).objects.filter(pk=obj.pk).update(created_at=moment, updated_at=moment, **fields)


def _as_of[T](moment: datetime.datetime, service: Callable[..., T], **kwargs: Any) -> T:
    """Call a service, then date the audit rows it wrote, so the history reads in order."""
    # Rows after the newest id are this call's: the seed runs before the site serves anyone.
    last_id = StatusChange.objects.aggregate(last=Max("id"))["last"] or 0
    result = service(**kwargs)
    StatusChange.objects.filter(id__gt=last_id).update(at=moment)
    return result


@dataclass
class _Cast:
    clock: _Clock
    staff: AbstractBaseUser
    coordinator: AbstractBaseUser
    regions: dict[str, Region]
    schools: dict[str, School]
    campaigns: dict[int, Campaign]
    sponsors: dict[str, Sponsor]
    events: dict[str, Event]
    logins: dict[str, AbstractBaseUser]


def _user(username: str, hashed: Callable[[], str], **flags: bool):
    """Get or create a demo account; only a new one gets the demo password."""
    return get_user_model().objects.get_or_create(
        username=username,
        # A callable default runs only when the account is created.
        defaults={"email": f"{username}@example.org", "password": hashed, **flags},
    )


def _load_places(today: datetime.date) -> tuple[dict, dict, dict]:
    regions = {
        name: Region.objects.get_or_create(name=name, defaults={"kind": kind})[0]
        for name, kind in REGIONS.items()
    }
    schools = {
        name: School.objects.get_or_create(name=name, defaults={"region": regions[HUAMU]})[0]
        for name in SCHOOLS
    }
    campaigns = {}
    for year in (*PAST_YEARS, today.year):
        campaigns[year] = Campaign.objects.get_or_create(
            year=year,
            defaults={
                "name": campaign_name(year),
                "starts_on": datetime.date(year, 2, 1),
                "ends_on": datetime.date(year, 12, 31),
            },
        )[0]
    return regions, schools, campaigns


def _load_sponsors(clock: _Clock, regions: dict, staff) -> dict[str, Sponsor]:
    sponsors = {}
    for spec in SPONSORS:
        sponsor = Sponsor.objects.filter(name=spec.name).order_by("pk").first()
        if sponsor is None:
            sponsor = Sponsor.objects.create(
                kind=spec.kind,
                name=spec.name,
                unit_category=spec.unit_category,
                region=regions[spec.region],
                contact_name=spec.contact_name,
                phone=spec.phone,
                email=spec.email,
            )
            registered = spec.verified_on or clock.today - datetime.timedelta(days=3)
            _stamp(sponsor, clock.moment(registered - datetime.timedelta(days=7)))
            if spec.verified_on:
                verified = clock.moment(spec.verified_on)
                _as_of(verified, verify_sponsor, sponsor_id=sponsor.pk, by=staff)
                Sponsor.objects.filter(pk=sponsor.pk).update(decided_at=verified)
        sponsors[spec.name] = sponsor
    return sponsors


def _load_staff(hashed: Callable[[], str]) -> AbstractBaseUser:
    staff, created = _user("staff", hashed, is_staff=True)
    if created:
        staff.groups.add(ensure_staff_group())
    return staff


def _load_logins(
    hashed: Callable[[], str], staff, sponsors: dict[str, Sponsor], schools: dict[str, School]
) -> dict:
    admin, _created = _user("admin", hashed, is_staff=True, is_superuser=True)
    logins = {"staff": staff, "admin": admin}
    for sponsor_name, username in SPONSOR_LOGINS.items():
        user, created = _user(username, hashed)
        if created:
            SponsorMember.objects.create(user=user, sponsor=sponsors[sponsor_name])
        logins[username] = user
    coordinator, created = _user("coordinator", hashed)
    if created:
        SchoolCoordinator.objects.create(user=coordinator, school=schools[HUAMU_CENTRAL])
    logins["coordinator"] = coordinator
    return logins


def _load_events(cast: _Cast, current_year: int) -> dict[str, Event]:
    events = {}
    for spec in event_specs(current_year):
        campaign = cast.campaigns[spec.year]
        event, created = Event.objects.get_or_create(
            campaign=campaign,
            title=spec.title,
            defaults={
                "kind": spec.kind,
                "date": spec.date,
                "venue": spec.venue,
                "school": cast.schools.get(spec.school),
                "description": spec.description,
            },
        )
        if created:
            event.sponsors.set([cast.sponsors[name] for name in spec.sponsors])
        events[spec.key] = event
    return events


def _load_child(cast: _Cast, spec: ChildSpec) -> None:
    plan, clock = spec.plan, cast.clock
    school = cast.schools[plan.school]
    child, created = Child.objects.get_or_create(
        school=school,
        real_name=spec.real_name,
        defaults={
            "alias": spec.alias,
            "gender": spec.gender,
            "birth_year": spec.birth_year,
            "grade": spec.grade,
            "class_name": spec.class_name,
            "home_region": cast.regions[plan.home_region],
            "address": spec.address,
            "guardian_name": spec.guardian_name,
            "guardian_phone": spec.guardian_phone,
            "hardship_category": spec.hardship_category,
            "hardship_note": spec.hardship_note,
            "public_location": spec.public_location,
        },
    )
    registered = clock.moment(spec.registered_on)
    if created:
        _stamp(child, registered)
    if not child.consents.exists():
        consent = Consent.objects.create(
            child=child,
            publish_wish=spec.consents_to_publish,
            share_photos_with_sponsor=spec.consents_to_publish,
            method=spec.consent_method,
            given_on=clock.day(spec.registered_on),
            given_by=spec.guardian_name,
            collected_by=cast.staff,
            note="" if spec.consents_to_publish else "家长同意保存记录，暂不同意公开心愿。",
        )
        _stamp(consent, registered)
    if child.wishes.exists():
        # The story of this wish was played on an earlier run (or by hand): leave it be.
        return
    wish = Wish.objects.create(
        child=child,
        campaign=cast.campaigns[plan.year],
        category=spec.category,
        child_words=spec.child_words,
        public_text=redact_for_child(spec.child_words, child),
        estimated_value=spec.estimated_value,
    )
    _stamp(wish, registered)
    if plan.event:
        cast.events[plan.event].wishes.add(wish)
    _play(cast, spec, wish)


def _claim(cast: _Cast, plan: WishPlan, wish: Wish, sponsor_name: str, day: datetime.date):
    """Claim as the real world would: on site, on the city platform, or online."""
    sponsor = cast.sponsors[sponsor_name]
    login = cast.logins.get(SPONSOR_LOGINS.get(sponsor_name, ""))
    channel = plan.channel or (
        ClaimChannel.ONLINE if login and not plan.claim_event else ClaimChannel.OFFLINE
    )
    by = login if channel == ClaimChannel.ONLINE else cast.staff
    event = cast.events.get(plan.event)
    promised = event.date if event and plan.outcome == WishStatus.CLAIMED else None
    is_platform = channel == ClaimChannel.CITY_PLATFORM
    moment = cast.clock.moment(day)
    claim = _as_of(
        moment,
        claim_wish,
        wish_id=wish.pk,
        sponsor=sponsor,
        by=by,
        promised_on=promised,
        channel=channel,
        external_ref=plan.external_ref if is_platform else "",
        claimant_name=sponsor.name if is_platform else "",
    )
    _stamp(claim, moment)
    return claim


def _play(cast: _Cast, spec: ChildSpec, wish: Wish) -> None:
    """Walk a new wish through the services to the state its plan ends in."""
    plan, clock, staff = spec.plan, cast.clock, cast.staff
    if plan.outcome == WishStatus.DRAFT:
        return
    published = clock.moment(spec.published_on)
    _as_of(published, publish_wish, wish_id=wish.pk, by=staff)
    Wish.objects.filter(pk=wish.pk).update(published_at=published)
    day = plan.claimed_on or (
        cast.events[plan.claim_event].date
        if plan.claim_event
        else spec.published_on + datetime.timedelta(days=10 + spec.number % 20)
    )
    if plan.cancelled_by:
        claim = _claim(cast, plan, wish, plan.cancelled_by, day)
        day += datetime.timedelta(days=7)
        _as_of(
            clock.moment(day),
            cancel_claim,
            claim_id=claim.pk,
            by=staff,
            reason=plan.cancel_reason,
        )
        day += datetime.timedelta(days=2)
    if plan.outcome == WishStatus.WITHDRAWN:
        day = spec.published_on + datetime.timedelta(days=45)
        _as_of(
            clock.moment(day),
            withdraw_wish,
            wish_id=wish.pk,
            by=staff,
            reason=plan.withdraw_reason,
        )
    if plan.sponsor:
        claim = _claim(cast, plan, wish, plan.sponsor, day)
    if plan.outcome == WishStatus.FULFILLED:
        day = _fulfil(cast, spec, claim)
    Wish.objects.filter(pk=wish.pk).update(updated_at=clock.moment(day))


def _fulfil(cast: _Cast, spec: ChildSpec, claim: Claim) -> datetime.date:
    """Record the fulfilment at its event; an event still to come is not claimed as the venue."""
    clock = cast.clock
    event = cast.events[spec.plan.event]
    on_time = event.date <= clock.today
    day = clock.day(event.date)
    recorder = cast.coordinator if spec.plan.school == HUAMU_CENTRAL else cast.staff
    fulfilment = _as_of(
        clock.moment(day),
        record_fulfilment,
        claim_id=claim.pk,
        by=recorder,
        fulfilled_on=day,
        event=event if on_time else None,
        note="爱心单位代表在活动现场把心愿礼物送到孩子手中。" if on_time else "",
    )
    _stamp(fulfilment, clock.moment(day))
    if spec.plan.letter:
        letter = ThankYouLetter.objects.create(
            fulfilment=fulfilment, transcription=letter_text(spec.item), uploaded_by=recorder
        )
        _stamp(letter, clock.moment(day + datetime.timedelta(days=3)))
    return day


@transaction.atomic
def load_demo_data(*, today: datetime.date | None = None) -> None:
    """Create whatever demo data is missing, in one transaction; safe to run again."""
    today = today or timezone.localdate()
    clock = _Clock(today)
    regions, schools, campaigns = _load_places(today)
    # One hash for every new demo account: the password is public, and hashing is slow.
    hashed = functools.cache(functools.partial(make_password, DEMO_PASSWORD))
    # Staff exist before sponsors: they verify them.
    staff = _load_staff(hashed)
    sponsors = _load_sponsors(clock, regions, staff)
    logins = _load_logins(hashed, staff, sponsors, schools)
    cast = _Cast(
        clock=clock,
        staff=logins["staff"],
        coordinator=logins["coordinator"],
        regions=regions,
        schools=schools,
        campaigns=campaigns,
        sponsors=sponsors,
        events={},
        logins=logins,
    )
    cast.events = _load_events(cast, today.year)
    for spec in child_specs(today.year):
        _load_child(cast, spec)
