"""The feed of open wishes for the city platform (市新时代文明实践综合服务平台).

A versioned JSON feed of the open wishes in pages of at most `PAGE_SIZE`, longest-waiting
first, each page linking to the next by a cursor (the last wish's publication time and id:
a deep page costs what the first does). It is built only from wishes.public.selectors, so it
holds the public allowlist and nothing else (schema: docs/feed-wishes-v2.schema.json), and
every text on a page is checked by the privacy guard: a wish whose text names its child is
left out. The claims the platform sends back are read in wishes/city_platform/inbound.py;
docs/feed.md has both.
"""

import base64
import binascii
import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from huamu.errors import TransitionError
from wishes.models import GradeBand, Wish, WishCategory
from wishes.privacy.guard import wishes_naming_their_child
from wishes.public.selectors import PublicWish, ValueBand, open_public_wishes

logger = logging.getLogger(__name__)

FEED_VERSION = "2.0"
FEED_SOURCE = "Huamu Dream Wishes"
PAGE_SIZE = 500


class FeedRequestError(TransitionError):
    """A cursor or page size the feed cannot read; answered with 400 and the message."""


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after the wish published at `published_at` with id `pk`."""

    published_at: datetime.datetime
    pk: int

    def encode(self) -> str:
        raw = f"{self.published_at.astimezone(datetime.UTC).isoformat()}|{self.pk}"
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "Cursor":
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            moment, pk = raw.split("|")
            published_at = datetime.datetime.fromisoformat(moment)
            number = int(pk)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise FeedRequestError(
                _("The page cursor is not one the feed gave out; start from the first page.")
            ) from None
        if published_at.tzinfo is None or number < 1:
            raise FeedRequestError(
                _("The page cursor is not one the feed gave out; start from the first page.")
            )
        return cls(published_at, number)


def page_size(value: str | None) -> int:
    """The `limit` asked for: 1 to PAGE_SIZE, PAGE_SIZE if not given."""
    if value in (None, ""):
        return PAGE_SIZE
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= PAGE_SIZE:
        raise FeedRequestError(
            _("The page size must be a whole number from 1 to %(most)d.") % {"most": PAGE_SIZE}
        )
    return int(value)


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


def _page_of_wishes(after: Cursor | None, limit: int) -> tuple[list[PublicWish], bool]:
    wishes = Wish.objects.all()
    if after is not None:
        wishes = wishes.filter(
            Q(published_at__gt=after.published_at)
            | Q(published_at=after.published_at, pk__gt=after.pk)
        )
    # One more than the page, to know whether another page follows.
    found = open_public_wishes(wishes)[: limit + 1]
    return found[:limit], len(found) > limit


def _guarded(wishes: list[PublicWish]) -> list[PublicWish]:
    """The wishes whose text names nobody; the others are left out and logged by code.

    Publishing and every later edit are guarded already: this catches a text that came to
    name its child some other way (a record changed by a script, a rule the guard learned
    since), so the platform never receives it.
    """
    naming = wishes_naming_their_child({wish.id: wish.public_text for wish in wishes})
    if naming:
        logger.warning(
            "Feed left out wishes whose text names their child: %s",
            ", ".join(wish.code for wish in wishes if wish.id in naming),
        )
    return [wish for wish in wishes if wish.id not in naming]


def build_wish_feed(
    *, after: Cursor | None = None, limit: int = PAGE_SIZE, now: datetime.datetime | None = None
) -> dict:
    """One page of the open public wishes as the version 2.0 feed document, labels in
    Chinese; `next` is the URL of the following page, or None on the last."""
    now = now or timezone.now()
    wishes, more = _page_of_wishes(after, limit)
    next_url = None
    last = wishes[-1] if wishes else None
    # Open wishes are always published, so the last one has its time.
    if more and last is not None and last.published_at is not None:
        query = {"after": Cursor(last.published_at, last.id).encode()}
        if limit != PAGE_SIZE:
            query["limit"] = str(limit)
        next_url = f"{settings.SITE_URL}{reverse('feed:wishes')}?{urlencode(query)}"
    # The feed is the same for every reader (it is cached publicly), whatever their language.
    with translation.override(settings.LANGUAGE_CODE):
        codes = {
            "grade_band": _codes(GradeBand),
            "category": _codes(WishCategory),
            "value_band": _codes(ValueBand),
        }
        items = [_feed_wish(wish, codes) for wish in _guarded(wishes)]
    return {
        "version": FEED_VERSION,
        "generated_at": timezone.localtime(now).isoformat(timespec="seconds"),
        "source": FEED_SOURCE,
        "wishes": items,
        "next": next_url,
    }
