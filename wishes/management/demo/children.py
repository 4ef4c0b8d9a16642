"""The demo children and the wishes they write, made up by a generator with a fixed seed.

Every run builds the same cast: the same names, families, addresses and wishes. Names of
the real people in the source newsletter are never given to a demo child or guardian.
"""

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from wishes.management.demo.cast import BEICAI, HUAMU, PAST_YEARS
from wishes.management.demo.stories import WishPlan, wish_plans
from wishes.models import (
    ConsentMethod,
    Gender,
    HardshipCategory,
    PublicLocation,
    WishCategory,
    WishStatus,
)

# The seed of the name generator: change it and every demo child gets another name.
NAME_SEED = 20131205

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

HARDSHIP_NOTES: dict[str, str] = {
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
