"""The feed of open wishes for the city platform (市新时代文明实践综合服务平台).

A versioned JSON feed of the open wishes, built only from wishes.public.selectors, so it holds
the public allowlist and nothing else (schema: docs/feed-wishes-v1.schema.json). The claims
the platform sends back are read in wishes/city_platform/inbound.py; docs/feed.md has both.
"""

import datetime

from django.conf import settings
from django.utils import timezone, translation

from wishes.models import GradeBand, WishCategory
from wishes.public.selectors import PublicWish, ValueBand, open_public_wishes

FEED_VERSION = "1.0"
FEED_SOURCE = "Huamu Dream Wishes"


def _codes(choices) -> dict[str, str]:
    # PublicWish holds display labels; the feed gives machines the stable code as well.
    return {str(member.label): member.value for member in choices}


def _coded(label, codes: dict[str, str]) -> dict[str, str] | None:
    text = str(label)
    return {"code": codes[text], "label": text} if text else None


def _feed_wish(wish: PublicWish, codes: dict[str, dict[str, str]]) -> dict:
    return {
        "code": wish.code,
        "alias": wish.alias,
        "grade_band": _coded(wish.grade_band, codes["grade_band"]),
        "location": wish.location,
        "category": _coded(wish.category, codes["category"]),
        "public_text": wish.public_text,
        "value_band": _coded(wish.value_band, codes["value_band"]),
        "status": wish.status,
        "days_waiting": wish.days_waiting,
        "url": f"{settings.SITE_URL}{wish.get_absolute_url()}",
    }


def build_wish_feed(now: datetime.datetime | None = None) -> dict:
    """The open public wishes as the version 1.0 feed document, labels in Chinese."""
    now = now or timezone.now()
    # The feed is the same for every reader (it is cached publicly), whatever their language.
    with translation.override(settings.LANGUAGE_CODE):
        codes = {
            "grade_band": _codes(GradeBand),
            "category": _codes(WishCategory),
            "value_band": _codes(ValueBand),
        }
        wishes = [_feed_wish(wish, codes) for wish in open_public_wishes()]
    return {
        "version": FEED_VERSION,
        "generated_at": timezone.localtime(now).isoformat(timespec="seconds"),
        "source": FEED_SOURCE,
        "wishes": wishes,
    }
