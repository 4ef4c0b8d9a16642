"""Reads for the claim pages, on top of the public selectors: PublicWish only."""

from collections.abc import Collection

from django.db.models import QuerySet

from sponsors.models import Sponsor
from wishes.models import Claim, ClaimStatus, Wish, WishStatus
from wishes.public.selectors import (
    PublicWish,
    PublicWishList,
    open_public_wishes,
    open_wishes,
    published_wishes,
)

# A unit ticks wishes from one page; more than this is better narrowed by the filters.
BATCH_LIST_SIZE = 100


def batch_candidates(filtered: QuerySet[Wish], *, keep: Collection[int] = ()) -> list[PublicWish]:
    """Open wishes for a batch claim, longest-waiting first.

    The wishes in `keep` that are still open come first whatever the filters, so that a
    redisplayed form still shows everything the sponsor had ticked.
    """
    listed = open_public_wishes(filtered.order_by("published_at", "pk"))[:BATCH_LIST_SIZE]
    missing = set(keep) - {wish.id for wish in listed}
    if missing:
        listed = [*open_public_wishes(open_wishes().filter(pk__in=missing)), *listed]
    return listed


def no_longer_open(wish_ids: Collection[int]) -> list[PublicWish]:
    """Those of the given wishes that the public can see but are not waiting any more."""
    wishes = published_wishes().filter(pk__in=wish_ids).exclude(status=WishStatus.OPEN)
    return list(PublicWishList(wishes.order_by("pk")))


def active_claim_count(sponsor: Sponsor) -> int:
    """How many active claims a sponsor holds now (the limit counts these)."""
    return Claim.objects.filter(sponsor=sponsor, status=ClaimStatus.ACTIVE).count()
