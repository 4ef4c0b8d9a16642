"""Reads for the sponsor's own pages: only fields a sponsor may see of a child's wish."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet

from sponsors.models import Sponsor
from wishes.models import Claim, ClaimStatus, LetterStatus, StatusChange, ThankYouLetter

# What a sponsor sees of a claim and its wish. The child's real name, school, class,
# address, guardian and hardship never leave the database for these pages.
CLAIM_FIELDS = [
    "id",
    "status",
    "promised_on",
    "created_at",
    "cancel_reason",
    "wish__id",
    "wish__code",
    "wish__public_text",
    "wish__category",
    "wish__child__id",
    "wish__child__alias",
    "wish__child__grade",
]

_CLAIM_LABELS = dict(ClaimStatus.choices)


@dataclass
class HistoryEntry:
    """One StatusChange of a claim, with readable labels."""

    change: StatusChange

    @property
    def from_label(self) -> str:
        return _CLAIM_LABELS.get(self.change.from_status, self.change.from_status)

    @property
    def to_label(self) -> str:
        return _CLAIM_LABELS.get(self.change.to_status, self.change.to_status)


@dataclass
class ClaimWithHistory:
    """A claim and its StatusChange rows, oldest first."""

    claim: Claim
    history: list[HistoryEntry] = field(default_factory=list)

    @property
    def can_cancel(self) -> bool:
        return self.claim.status == ClaimStatus.ACTIVE


def claims_of(sponsor: Sponsor) -> QuerySet[Claim]:
    """The sponsor's claims in every status, newest first, with the public part of the wish."""
    return (
        Claim.objects.filter(sponsor=sponsor)
        .select_related("wish__child")
        .only(*CLAIM_FIELDS)
        .order_by("-created_at", "-id")
    )


def claims_with_history(sponsor: Sponsor) -> list[ClaimWithHistory]:
    """The sponsor's claims and each claim's history, in two queries whatever their number."""
    claims = list(claims_of(sponsor))
    if not claims:
        return []
    # StatusChange points at its subject through a GenericForeignKey, which
    # prefetch_related cannot filter; one query for all claims, grouped here instead.
    changes = (
        StatusChange.objects.filter(
            content_type__app_label=Claim._meta.app_label,
            content_type__model=Claim._meta.model_name,
            object_id__in=[claim.pk for claim in claims],
        )
        .select_related("by")
        .only("object_id", "from_status", "to_status", "at", "note", "by__username", "by__id")
        .order_by("at", "id")
    )
    by_claim: dict[int, list[HistoryEntry]] = defaultdict(list)
    for change in changes:
        by_claim[change.object_id].append(HistoryEntry(change))
    return [ClaimWithHistory(claim, by_claim[claim.pk]) for claim in claims]


def approved_letters_of(sponsor: Sponsor) -> QuerySet[ThankYouLetter]:
    """Approved thank-you letters for the sponsor's fulfilled claims; transcription only."""
    return (
        ThankYouLetter.objects.filter(
            status=LetterStatus.APPROVED,
            fulfilment__claim__sponsor=sponsor,
            fulfilment__claim__status=ClaimStatus.FULFILLED,
        )
        .select_related("fulfilment__claim__wish__child")
        .only(
            "id",
            "transcription",
            "reviewed_at",
            "created_at",
            "fulfilment__id",
            "fulfilment__claim__id",
            "fulfilment__claim__wish__id",
            "fulfilment__claim__wish__code",
            "fulfilment__claim__wish__child__id",
            "fulfilment__claim__wish__child__alias",
        )
        .order_by("-created_at", "-id")
    )
