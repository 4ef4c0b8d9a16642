"""The demo's fulfilment events: those of the two past campaigns and of the current one.

Data only: the loader creates each event once, found again by its campaign and title.
"""

import datetime
from dataclasses import dataclass

from wishes.management.demo.cast import (
    BEICAI_CENTRE,
    CHEN,
    DANGQUN,
    EXIT_ENTRY,
    EXPO,
    HEALTH,
    HUALIN,
    HUAMU_CENTRAL,
    MOBILE,
    MUSEUM,
    YOUYOU,
)
from wishes.models import EventKind


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
    # School sessions and meetings start after lessons; the messages to sponsors say when.
    start_time: datetime.time = datetime.time(14, 0)

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
