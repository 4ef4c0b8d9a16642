"""Running totals: the figures of the front and impact pages, exact without counting every row.

At 100,000 wishes, counting the waiting wishes and the impact page's figures from every wish
and claim took 20–100 ms a render. Each figure is instead the sum of `n` over the `Tally` rows
of one name and key:

- `wish` status|category|campaign id: wishes (a category's published and fulfilled wishes,
  the fulfilled ones, a campaign's claimed and fulfilled ones);
- `open` campaign id|day: open wishes of children still in the programme whose consent to
  publish the wish lasts until that day; the wishes waiting today are the rows from today on;
- `channel` channel, `to_claim` days, `to_fulfil` days: the counted claims (active, gift
  received or fulfilled) by channel, and the histograms of their medians;
- `year` year, `year_platform` year: the fulfilments recorded in a year, and those of them
  claimed through the city platform;
- `sponsors` kind: sponsors with a counted claim; `year_sponsors` year|kind: sponsors with a
  fulfilment in that year;
- `region` region id: the counted claims by the sponsor's region ("" for none); `centre`
  name: the counted city-platform claims of units, by claiming centre;
- `rating` 1–5: the feedback by rating.

How they stay exact:

- Each figure is defined once, as what a set of wishes, claims, sponsors or feedback
  contributes (the `_of_*` functions). A save or delete of a model the figures read (a wish,
  claim, fulfilment, sponsor, feedback, child or consent) takes the contribution of the rows it
  touches before and after, and adds the difference as new rows in the same transaction: a
  change rolled back leaves nothing behind, and two changes at once never wait for each other
  (no row is ever updated).
- A write the signals do not see (bulk_create, QuerySet.update) goes through `following()`;
  whole loads through `rebuilt_after()`.
- `rebuild()` recounts everything from the data and replaces every row, holding the table so
  no change slips in between. `check_tallies` runs it every night: it reports any figure that
  had drifted, and folds the day's rows back into one per figure.
- Until the first rebuild (its marker row), the pages count from the data instead: slower,
  never wrong. `migrate` builds them when they are missing.
"""

import datetime
import functools
import logging
import operator
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, connections, router, transaction
from django.db.models import Case, DateField, Max, Model, OuterRef, Q, Subquery, Sum, When
from django.db.models.signals import post_delete, post_migrate, post_save, pre_delete, pre_save
from django.utils import timezone

from sponsors.models import Sponsor, SponsorKind
from wishes.models import (
    LIVE_CLAIM_STATUSES,
    Child,
    Claim,
    ClaimChannel,
    ClaimStatus,
    Consent,
    Feedback,
    Fulfilment,
    Tally,
    Wish,
    WishStatus,
)

logger = logging.getLogger(__name__)

BUILT = "built"
WISH = "wish"
OPEN = "open"
CHANNEL = "channel"
TO_CLAIM = "to_claim"
TO_FULFIL = "to_fulfil"
YEAR = "year"
YEAR_PLATFORM = "year_platform"
SPONSORS = "sponsors"
YEAR_SPONSORS = "year_sponsors"
REGION = "region"
CENTRE = "centre"
RATING = "rating"
NAMES = (
    WISH,
    OPEN,
    CHANNEL,
    TO_CLAIM,
    TO_FULFIL,
    YEAR,
    YEAR_PLATFORM,
    SPONSORS,
    YEAR_SPONSORS,
    REGION,
    CENTRE,
    RATING,
)

# Claims that count: a cancelled claim was a commitment that did not hold.
COUNTED_CLAIMS = frozenset([*LIVE_CLAIM_STATUSES, ClaimStatus.FULFILLED])

# (name, key) → count.
Totals = Counter[tuple[str, str]]

# Set while a bulk change is followed as a whole (`following`, `rebuilt_after`).
_paused: ContextVar[bool] = ContextVar("tallies_paused", default=False)

_CHUNK = 2000

# Between the parts of a key of several parts (`wish`, `open`, `year_sponsors`).
_SEP = "|"


def _day(moment: datetime.datetime) -> datetime.date:
    # Shanghai's calendar day, as on the wishes' pages.
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def _publish_until() -> Subquery:
    """The last day the child's consents let the wish be published (None: no such consent)."""
    return Subquery(
        Consent.objects.filter(
            child_id=OuterRef("child_id"),
            withdrawn_at__isnull=True,
            keep_record=True,
            publish_wish=True,
        )
        .order_by()
        .values("child_id")
        .annotate(last=Max("valid_until"))
        .values("last")[:1],
        output_field=DateField(),
    )


def _of_wishes(wishes: Q, using: str) -> Totals:
    totals: Totals = Counter()
    rows = (
        Wish.objects.using(using)
        .filter(wishes)
        .annotate(
            until=Case(
                When(
                    status=WishStatus.OPEN, child__withdrawn_at__isnull=True, then=_publish_until()
                ),
                default=None,
                output_field=DateField(),
            )
        )
        .values_list("status", "category", "campaign_id", "until")
        .order_by()
    )
    for status, category, campaign, until in rows.iterator(chunk_size=_CHUNK):
        totals[WISH, _SEP.join([status, category, str(campaign)])] += 1
        if until is not None:
            totals[OPEN, _SEP.join([str(campaign), until.isoformat()])] += 1
    return totals


def _of_claims(claims: Q, using: str) -> Totals:
    totals: Totals = Counter()
    rows = (
        Claim.objects.using(using)
        .filter(claims)
        .values_list(
            "status", "channel", "created_at", "wish__published_at", "fulfilment__fulfilled_on"
        )
        .order_by()
    )
    for status, channel, created_at, published_at, fulfilled_on in rows.iterator(
        chunk_size=_CHUNK
    ):
        if fulfilled_on is not None:
            totals[YEAR, str(fulfilled_on.year)] += 1
            if channel == ClaimChannel.CITY_PLATFORM:
                totals[YEAR_PLATFORM, str(fulfilled_on.year)] += 1
        if status not in COUNTED_CLAIMS:
            continue
        totals[CHANNEL, channel] += 1
        if published_at is None:
            continue
        claimed_on = _day(created_at)
        # A date recorded out of order (a late offline record) counts as the same day.
        totals[TO_CLAIM, str(max(0, (claimed_on - _day(published_at)).days))] += 1
        if fulfilled_on is not None:
            totals[TO_FULFIL, str(max(0, (fulfilled_on - claimed_on).days))] += 1
    return totals


def _of_sponsors(claims: Q, using: str, seen: set[int] | None = None) -> Totals:
    """What the sponsors of the claims matching `claims` contribute, over all their claims
    (the filter names the sponsors: `Q(sponsor_id__in=...)`); their ids are added to `seen`."""
    totals: Totals = Counter()
    taking_part: set[tuple[int, str]] = set()
    years: set[tuple[int, int, str]] = set()
    rows = (
        Claim.objects.using(using)
        .filter(claims)
        .values_list(
            "sponsor_id",
            "sponsor__kind",
            "sponsor__region_id",
            "sponsor__name",
            "status",
            "channel",
            "claimant_name",
            "fulfilment__fulfilled_on",
        )
        .order_by()
    )
    for sponsor, kind, region, name, status, channel, claimant, fulfilled_on in rows.iterator(
        chunk_size=_CHUNK
    ):
        if seen is not None:
            seen.add(sponsor)
        if fulfilled_on is not None:
            years.add((sponsor, fulfilled_on.year, kind))
        if status not in COUNTED_CLAIMS:
            continue
        taking_part.add((sponsor, kind))
        totals[REGION, "" if region is None else str(region)] += 1
        # A caring individual's name is personal data: only units are named.
        if channel == ClaimChannel.CITY_PLATFORM and kind == SponsorKind.UNIT:
            totals[CENTRE, claimant or name] += 1
    for _sponsor, kind in taking_part:
        totals[SPONSORS, kind] += 1
    for _sponsor, year, kind in years:
        totals[YEAR_SPONSORS, _SEP.join([str(year), kind])] += 1
    return totals


def _of_feedback(feedback: Q, using: str) -> Totals:
    rows = Feedback.objects.using(using).filter(feedback).values_list("rating", flat=True)
    return Counter((RATING, str(rating)) for rating in rows.order_by().iterator(_CHUNK))


@dataclass
class Scope:
    """The rows a change touches: filters on wishes, claims, feedback, and the sponsors whose
    claims are read in full (None: none of that kind)."""

    wishes: Q | None = None
    claims: Q | None = None
    sponsors: set[int] = field(default_factory=set)
    # Sponsors named by a filter on claims (e.g. the claim's sponsor before a change).
    sponsors_of: Q | None = None
    feedback: Q | None = None


EVERYTHING = Scope(wishes=Q(), claims=Q(), sponsors_of=Q(), feedback=Q())


def _contribution(scope: Scope, using: str, seen: set[int] | None = None) -> Totals:
    totals: Totals = Counter()
    if scope.wishes is not None:
        totals.update(_of_wishes(scope.wishes, using))
    if scope.claims is not None:
        totals.update(_of_claims(scope.claims, using))
    if scope.sponsors_of == Q():
        # Every sponsor: all the claims.
        totals.update(_of_sponsors(Q(), using, seen))
    else:
        named = []
        if scope.sponsors:
            named.append(Q(sponsor_id__in=sorted(scope.sponsors)))
        if scope.sponsors_of is not None:
            claims = Claim.objects.using(using).filter(scope.sponsors_of)
            named.append(Q(sponsor_id__in=claims.values("sponsor_id")))
        if named:
            totals.update(_of_sponsors(functools.reduce(operator.or_, named), using, seen))
    if scope.feedback is not None:
        totals.update(_of_feedback(scope.feedback, using))
    return totals


def recount(*, using: str = DEFAULT_DB_ALIAS) -> Totals:
    """Every figure counted from the data (what the rows must add up to)."""
    return _contribution(EVERYTHING, using)


def _add(after: Totals, before: Totals, using: str) -> None:
    delta = Counter(after)
    delta.subtract(before)
    rows = [
        Tally(name=name, key=key, n=count) for (name, key), count in sorted(delta.items()) if count
    ]
    if rows:
        Tally.objects.using(using).bulk_create(rows)


# Signals: each model's save or delete, before and after.


# The fields each model's figures are made of: a save naming only other fields
# (`update_fields`) changes no figure.
_FIGURE_FIELDS: dict[type[Model], set[str]] = {
    Wish: {"status", "category", "campaign", "campaign_id", "child", "child_id", "published_at"},
    Claim: {
        "status",
        "channel",
        "created_at",
        "wish",
        "wish_id",
        "sponsor",
        "sponsor_id",
        "claimant_name",
    },
    Fulfilment: {"fulfilled_on", "claim", "claim_id"},
    Sponsor: {"kind", "region", "region_id", "name"},
    Feedback: {"rating", "claim", "claim_id"},
    Child: {"withdrawn_at"},
    Consent: {"withdrawn_at", "keep_record", "publish_wish", "valid_until", "child", "child_id"},
}


def _scope_of(instance: Model, update_fields: frozenset[str] | None) -> Scope | None:
    """The rows a save or delete of `instance` may change the figures of; None for none."""
    model = type(instance)
    relevant = _FIGURE_FIELDS[model]
    if update_fields is not None and not relevant & update_fields:
        return None
    pk = instance.pk
    if isinstance(instance, Wish):
        # A claim's days to claim count from its wish's publication.
        dates = update_fields is None or "published_at" in update_fields
        return Scope(
            wishes=Q(pk=pk) if pk else None, claims=Q(wish_id=pk) if pk and dates else None
        )
    if isinstance(instance, Claim):
        # The sponsor now, and the one before (read back with the claim's row).
        return Scope(
            claims=Q(pk=pk) if pk else None,
            sponsors={instance.sponsor_id},
            sponsors_of=Q(pk=pk) if pk else None,
        )
    if isinstance(instance, Fulfilment):
        return Scope(claims=Q(pk=instance.claim_id), sponsors_of=Q(pk=instance.claim_id))
    if isinstance(instance, Sponsor):
        return Scope(sponsors={pk} if pk else set())
    if isinstance(instance, Feedback):
        return Scope(feedback=Q(pk=pk)) if pk else None
    if isinstance(instance, Child):
        return Scope(wishes=Q(child_id=pk)) if pk else None
    if isinstance(instance, Consent):
        # A consent: its child's wishes.
        return Scope(wishes=Q(child_id=instance.child_id))
    return None


@dataclass
class _Before:
    totals: Totals
    sponsors: set[int]


_BEFORE = "_tallies_before"


def _before_change(sender, instance: Model, **kwargs) -> None:
    if _paused.get() or kwargs.get("raw"):
        return
    scope = _scope_of(instance, kwargs.get("update_fields"))
    if scope is None:
        return
    using = kwargs.get("using") or router.db_for_write(sender)
    seen: set[int] = set()
    instance.__dict__[_BEFORE] = _Before(_contribution(scope, using, seen), seen)


def _after_change(sender, instance: Model, **kwargs) -> None:
    before: _Before | None = instance.__dict__.pop(_BEFORE, None)
    if _paused.get() or kwargs.get("raw"):
        return
    scope = _scope_of(instance, kwargs.get("update_fields"))
    if scope is None:
        return
    if before is None:
        before = _Before(Counter(), set())
    # The sponsors read before (a claim's old sponsor among them) are read again, in full:
    # they are the ones `sponsors_of` named.
    scope.sponsors |= before.sponsors
    scope.sponsors_of = None
    using = kwargs.get("using") or router.db_for_write(sender)
    _add(_contribution(scope, using), before.totals, using)


FOLLOWED = (Wish, Claim, Fulfilment, Sponsor, Feedback, Child, Consent)


def connect_signals() -> None:
    """Keep the running totals in step with every save and delete of the models they read."""
    for model in FOLLOWED:
        uid = f"tallies_{model._meta.label_lower}"
        pre_save.connect(_before_change, sender=model, dispatch_uid=f"{uid}_pre_save")
        post_save.connect(_after_change, sender=model, dispatch_uid=f"{uid}_post_save")
        pre_delete.connect(_before_change, sender=model, dispatch_uid=f"{uid}_pre_delete")
        post_delete.connect(_after_change, sender=model, dispatch_uid=f"{uid}_post_delete")
    post_migrate.connect(_build_if_missing, dispatch_uid="tallies_build")


@contextmanager
def paused() -> Iterator[None]:
    """The signals leave the totals alone inside (the caller accounts for the change)."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


@contextmanager
def following(scope: Scope, *, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Around a bulk change of the rows `scope` names (bulk_create, QuerySet.update, many
    saves): their contribution is taken before and after, and the difference added once."""
    seen: set[int] = set()
    before = _contribution(scope, using, seen)
    with paused():
        yield
    scope.sponsors |= seen
    _add(_contribution(scope, using), before, using)


def count_new(scope: Scope, *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Add the rows `scope` names, just inserted by a bulk write the signals do not see."""
    _add(_contribution(scope, using), Counter(), using)


@contextmanager
def rebuilt_after(*, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """For a whole load (demo data, the benchmark's data): no signal work, one recount after."""
    with paused():
        yield
    # Every figure changed on purpose: nothing to report.
    rebuild(using=using, report=False)


# Reading, and the nightly recount.


def of(totals: Totals, name: str) -> dict[str, int]:
    """The figures of one name, by key."""
    return {key: n for (kind, key), n in totals.items() if kind == name}


def wishes_of(totals: Totals) -> Iterator[tuple[str, str, int, int]]:
    """The `wish` figures: (status, category, campaign id, wishes)."""
    for key, n in of(totals, WISH).items():
        status, category, campaign = key.split(_SEP)
        yield status, category, int(campaign), n


def open_wishes_of(totals: Totals) -> Iterator[tuple[int, datetime.date, int]]:
    """The `open` figures: (campaign id, last day they may be published, wishes)."""
    for key, n in of(totals, OPEN).items():
        campaign, last_day = key.split(_SEP)
        yield int(campaign), datetime.date.fromisoformat(last_day), n


def year_sponsors_of(totals: Totals) -> Iterator[tuple[int, str, int]]:
    """The `year_sponsors` figures: (year, sponsor kind, sponsors)."""
    for key, n in of(totals, YEAR_SPONSORS).items():
        year, kind = key.split(_SEP)
        yield int(year), kind, n


def _is_built(using: str) -> bool:
    return Tally.objects.using(using).filter(name=BUILT).exists()


def current(names: Iterable[str], *, using: str = DEFAULT_DB_ALIAS) -> Totals:
    """The figures of these names, in one query (counted from the data before the first
    rebuild)."""
    wanted = {*names}
    rows = (
        Tally.objects.using(using)
        .filter(name__in=[*sorted(wanted), BUILT])
        .values_list("name", "key")
        .annotate(total=Sum("n"))
        .order_by()
    )
    totals: Totals = Counter()
    built = False
    for name, key, total in rows:
        if name == BUILT:
            built = True
        elif total:
            totals[name, key] = total
    if not built:
        return Counter({item: n for item, n in recount(using=using).items() if item[0] in wanted})
    return totals


@dataclass(frozen=True)
class Drift:
    """A figure whose rows did not add up to the recount."""

    name: str
    key: str
    stored: int
    counted: int


def _hold(using: str) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        # Changes insert rows (ROW EXCLUSIVE); this waits for those under way and holds
        # new ones until the recount commits. Reading the totals goes on meanwhile.
        table = connection.ops.quote_name(Tally._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
    else:
        # SQLite: the first write takes the database's write lock (transactions begin
        # IMMEDIATE here, so it is held already); no change commits before this one.
        Tally.objects.using(using).filter(name=BUILT).update(n=1)


def rebuild(*, using: str = DEFAULT_DB_ALIAS, report: bool = True) -> list[Drift]:
    """Recount every figure and replace the rows by one per figure; the figures that had
    drifted from the recount (none before the first build, nor with `report` off), each
    also logged as a warning."""
    with transaction.atomic(using=using):
        _hold(using)
        built = _is_built(using)
        stored: Totals = Counter()
        if built:
            rows = (
                Tally.objects.using(using)
                .exclude(name=BUILT)
                .values_list("name", "key")
                .annotate(total=Sum("n"))
                .order_by()
            )
            stored = Counter({(name, key): total for name, key, total in rows if total})
        counted = recount(using=using)
        Tally.objects.using(using).all().delete()
        Tally.objects.using(using).bulk_create(
            [Tally(name=BUILT, key="", n=1)]
            + [Tally(name=name, key=key, n=n) for (name, key), n in sorted(counted.items())],
            batch_size=1000,
        )
    if not (built and report):
        return []
    drifts = [
        Drift(name, key, stored.get((name, key), 0), counted.get((name, key), 0))
        for name, key in sorted({*stored, *counted})
        if stored.get((name, key), 0) != counted.get((name, key), 0)
    ]
    for drift in drifts:
        logger.warning(
            "Running total %s %r was %d, the recount says %d; corrected",
            drift.name,
            drift.key,
            drift.stored,
            drift.counted,
        )
    return drifts


def _build_if_missing(sender, *, using: str = DEFAULT_DB_ALIAS, plan=None, **kwargs) -> None:
    # Once, after the last app migrated forward (backwards, the tables may not match the
    # models any more).
    if sender.label != "wishes" or any(backwards for _migration, backwards in plan or []):
        return
    if not _is_built(using):
        rebuild(using=using)
