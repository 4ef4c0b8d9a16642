"""The stories of the demo wishes: how far each one gets, and who and what it meets on the way.

Data only: most past wishes end fulfilled, the current campaign has wishes in every state.
"""

import datetime
from dataclasses import dataclass

from wishes.management.demo.cast import (
    BEICAI,
    BEICAI_CENTRE,
    CHEN,
    DANGQUN,
    EXIT_ENTRY,
    EXPO,
    HEALTH,
    HUALIN,
    HUAMU,
    HUAMU_CENTRAL,
    MOBILE,
    MUSEUM,
    YOUYOU,
    ZHAO,
)
from wishes.models import ClaimChannel, WishStatus


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
    # The gift reached the drop-off point (礼物已送达), recorded by the school's coordinator.
    gift_received: bool = False


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
        WishPlan(y, claimed, HUAMU_CENTRAL, MUSEUM, "now-125", gift_received=True),
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


# Feedback (评单) the demo unit and the coordinator gave on fulfilled wishes: a rating and
# a comment that names nobody (the privacy guard checks it as it checks every comment).
SPONSOR_FEEDBACK = [
    (5, "活动组织得很周到，孩子收到礼物时特别开心，明年我们还来。"),
    (4, "送礼物的时间和地点通知得很清楚，现场稍微有点挤。"),
    (5, "谢谢志愿者们的安排，我们的同事都很受感动。"),
]
COORDINATOR_FEEDBACK = [
    (5, "礼物按时送到学校，孩子和家长都很感谢爱心单位。"),
    (4, "礼物很合适，希望以后能提前一周告诉学校活动的时间。"),
    (3, "礼物晚到了几天，不过最后还是在活动上送到了孩子手里。"),
]
