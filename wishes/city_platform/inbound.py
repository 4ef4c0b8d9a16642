"""Claims made on the city platform (市新时代文明实践综合服务平台), coming in.

Other centres claim our wishes on the platform; its file of claims (JSON or CSV, read by
the one decoder in wishes.importing.reader) is recorded through claim_wish with the
city-platform channel. Rows are independent external facts, so each is recorded or refused
on its own; the same reference twice is recorded once. The formats are in docs/feed.md.
"""

import datetime
import json
from dataclasses import dataclass
from typing import cast

from django.contrib.auth.models import User
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from huamu.errors import TransitionError
from sponsors.models import Sponsor, SponsorKind
from wishes.importing.problems import ImportFileError
from wishes.importing.reader import decode_text, text_rows
from wishes.models import Claim, ClaimChannel, Wish
from wishes.reports import tallies
from wishes.reports.tallies import Scope
from wishes.services import claim_wish

PLATFORM_FIELDS = ("wish_code", "external_ref", "claimant_name", "claimed_on", "promised_on")
REQUIRED_FIELDS = ("wish_code", "external_ref", "claimant_name", "claimed_on")
# Far more than a year of claims; a bigger file is a mistake.
# The claims file's own format version (docs/feed.md, part 2), apart from the feed's.
CLAIMS_VERSION = "1.0"
MAX_PLATFORM_FILE_BYTES = 2_000_000
MAX_PLATFORM_ROWS = 5000


class PlatformFileError(ValueError):
    """The file as a whole cannot be read; the message is translated and safe to show."""


class RowProblem(ValueError):
    """One row is refused; the message is translated."""


class Outcome:
    CREATED = "created"
    ALREADY_RECORDED = "already_recorded"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class PlatformRow:
    """One row as read from the file: its number there, and its text values."""

    number: int
    values: dict[str, str]


@dataclass(frozen=True, slots=True)
class RowResult:
    number: int
    wish_code: str
    external_ref: str
    outcome: str
    message: str
    claim_id: int | None = None

    @property
    def refused(self) -> bool:
        return self.outcome == Outcome.REFUSED


@dataclass(frozen=True, slots=True)
class PlatformImportReport:
    results: list[RowResult]

    def count(self, outcome: str) -> int:
        return sum(1 for result in self.results if result.outcome == outcome)

    @property
    def created(self) -> int:
        return self.count(Outcome.CREATED)

    @property
    def already_recorded(self) -> int:
        return self.count(Outcome.ALREADY_RECORDED)

    @property
    def refused(self) -> int:
        return self.count(Outcome.REFUSED)

    @property
    def summary(self) -> str:
        return _("%(created)d recorded, %(already)d already recorded, %(refused)d refused.") % {
            "created": self.created,
            "already": self.already_recorded,
            "refused": self.refused,
        }


def _decode(data: bytes) -> str:
    try:
        return decode_text(data)
    except ImportFileError:
        raise PlatformFileError(_("The file is not UTF-8, UTF-16 or GB 18030 text.")) from None


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _rows_from_json(text: str) -> list[PlatformRow]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise PlatformFileError(
            _("The file is not valid JSON (line %(line)d): %(error)s")
            % {"line": error.lineno, "error": error.msg}
        ) from None
    if isinstance(document, dict):
        if _text(document.get("version", CLAIMS_VERSION)).split(".")[0] != "1":
            raise PlatformFileError(_("Only version 1 of the claims file can be read."))
        document = document.get("claims")
    if not isinstance(document, list):
        raise PlatformFileError(_('The JSON file must hold a list of claims under "claims".'))
    rows = []
    for number, item in enumerate(document, start=1):
        values = item if isinstance(item, dict) else {}
        rows.append(PlatformRow(number, {f: _text(values.get(f)) for f in PLATFORM_FIELDS}))
    return rows


def _rows_from_csv(text: str) -> list[PlatformRow]:
    try:
        lines = list(text_rows(text))
    except ImportFileError as error:
        raise PlatformFileError(error.text) from None
    header = [_text(name) for name in lines[0]] if lines else []
    missing = [field for field in REQUIRED_FIELDS if field not in header]
    if missing:
        raise PlatformFileError(
            _("The CSV file lacks the columns: %(columns)s.") % {"columns": ", ".join(missing)}
        )
    # Line numbers as a spreadsheet shows them: the header is line 1.
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        values = dict(zip(header, line, strict=False))
        if any(_text(value) for value in values.values()):
            rows.append(PlatformRow(number, {f: _text(values.get(f)) for f in PLATFORM_FIELDS}))
    return rows


def read_platform_claims(data: bytes, *, name: str) -> list[PlatformRow]:
    """The rows of a .json or .csv file of platform claims; PlatformFileError if unreadable."""
    if len(data) > MAX_PLATFORM_FILE_BYTES:
        raise PlatformFileError(_("The file is too large."))
    suffix = name.lower().rsplit(".", 1)[-1]
    if suffix not in {"json", "csv"}:
        raise PlatformFileError(_("Choose a .json or .csv file."))
    text = _decode(data)
    rows = _rows_from_json(text) if suffix == "json" else _rows_from_csv(text)
    if not rows:
        raise PlatformFileError(_("The file holds no claims."))
    if len(rows) > MAX_PLATFORM_ROWS:
        raise PlatformFileError(
            _("The file holds more than %(limit)d claims; split it.")
            % {"limit": MAX_PLATFORM_ROWS}
        )
    return rows


def _date(text: str, label: str) -> datetime.date:
    # Dates as ISO (2026-11-03) or as spreadsheets often write them (2026/11/3).
    for pattern in ("%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a date)
        except ValueError:
            continue
    raise RowProblem(
        _("%(field)s %(value)s is not a date like 2026-11-03.") % {"field": label, "value": text}
    )


@dataclass(frozen=True, slots=True)
class _CleanRow:
    wish_code: str
    external_ref: str
    claimant_name: str
    claimed_on: datetime.date
    promised_on: datetime.date | None


def _too_long(values: dict[str, str], field: str) -> bool:
    max_length = cast(models.CharField, Claim._meta.get_field(field)).max_length
    return max_length is not None and len(values[field]) > max_length


def _clean(values: dict[str, str]) -> _CleanRow:
    labels = {
        "wish_code": _("Wish code"),
        "external_ref": _("Platform reference"),
        "claimant_name": _("Claimant"),
        "claimed_on": _("Claimed on"),
    }
    missing = [str(labels[field]) for field in REQUIRED_FIELDS if not values[field]]
    if missing:
        raise RowProblem(_("Missing: %(fields)s.") % {"fields": ", ".join(missing)})
    if _too_long(values, "external_ref"):
        raise RowProblem(_("The platform reference is too long."))
    if _too_long(values, "claimant_name"):
        raise RowProblem(_("The claimant's name is too long."))
    claimed_on = _date(values["claimed_on"], _("Claimed on"))
    promised_on = _date(values["promised_on"], _("Promised on")) if values["promised_on"] else None
    if claimed_on > timezone.localdate():
        raise RowProblem(_("The claim date is in the future."))
    if promised_on is not None and promised_on < claimed_on:
        raise RowProblem(_("The promised date is before the claim date."))
    return _CleanRow(
        wish_code=values["wish_code"],
        external_ref=values["external_ref"],
        claimant_name=values["claimant_name"],
        claimed_on=claimed_on,
        promised_on=promised_on,
    )


def _recorded(external_ref: str) -> Claim | None:
    return (
        Claim.objects.filter(channel=ClaimChannel.CITY_PLATFORM, external_ref=external_ref)
        .select_related("wish")
        .first()
    )


def _already(row: _CleanRow, claim: Claim) -> tuple[str, str]:
    if claim.wish.code == row.wish_code:
        return Outcome.ALREADY_RECORDED, _("Already recorded.")
    return Outcome.REFUSED, _("Reference %(ref)s is already recorded for wish %(code)s.") % {
        "ref": row.external_ref,
        "code": claim.wish.code,
    }


def _platform_sponsor(name: str) -> Sponsor:
    # Staff add the other centre as a unit and verify it once; nobody is verified by a file.
    sponsors = list(Sponsor.objects.filter(name=name, kind=SponsorKind.UNIT)[:2])
    if not sponsors:
        raise RowProblem(
            _("No caring unit is named %(name)s; add and verify it in the back office first.")
            % {"name": name}
        )
    if len(sponsors) > 1:
        raise RowProblem(_("Several caring units are named %(name)s.") % {"name": name})
    return sponsors[0]


def _claimed_moment(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(
        datetime.datetime.combine(day, datetime.time.min), timezone.get_default_timezone()
    )


def _record(row: _CleanRow, by: User | None) -> Claim:
    wish = Wish.objects.filter(code=row.wish_code).values("pk", "published_at").first()
    if wish is None:
        raise RowProblem(_("There is no wish %(code)s.") % {"code": row.wish_code})
    sponsor = _platform_sponsor(row.claimant_name)
    published_at = wish["published_at"]
    # The platform only gets wishes from our feed, so a wish is published here first.
    if published_at is not None and row.claimed_on < timezone.localdate(published_at):
        raise RowProblem(_("The claim date is before the wish was published."))
    with transaction.atomic():
        claim = claim_wish(
            wish_id=wish["pk"],
            sponsor=sponsor,
            by=by,
            promised_on=row.promised_on,
            channel=ClaimChannel.CITY_PLATFORM,
            external_ref=row.external_ref,
            claimant_name=row.claimant_name,
        )
        # The claim dates from the day it was made on the platform, not the day of the import,
        # so that the impact page's "days to claim" is true. Its history keeps the import time.
        moment = _claimed_moment(row.claimed_on)
        if moment < claim.created_at:
            with tallies.following(Scope(claims=models.Q(pk=claim.pk))):
                Claim.objects.filter(pk=claim.pk).update(created_at=moment)
            claim.created_at = moment
    return claim


def _import_row(row: PlatformRow, by: User | None) -> RowResult:
    values = row.values

    def result(outcome: str, message: str, claim: Claim | None = None) -> RowResult:
        return RowResult(
            number=row.number,
            wish_code=values["wish_code"],
            external_ref=values["external_ref"],
            outcome=outcome,
            message=str(message),
            claim_id=claim.pk if claim else None,
        )

    try:
        clean = _clean(values)
        existing = _recorded(clean.external_ref)
        if existing is not None:
            return result(*_already(clean, existing), claim=existing)
        claim = _record(clean, by)
    except RowProblem as problem:
        return result(Outcome.REFUSED, str(problem))
    except TransitionError as error:
        # Another import may have recorded the same reference meanwhile: that is no error.
        existing = _recorded(clean.external_ref)
        if existing is not None:
            return result(*_already(clean, existing), claim=existing)
        return result(Outcome.REFUSED, str(error))
    return result(Outcome.CREATED, _("Recorded."), claim)


def import_platform_claims(*, rows: list[PlatformRow], by: User | None) -> PlatformImportReport:
    """Record each platform claim through claim_wish; each row is recorded or refused alone."""
    return PlatformImportReport([_import_row(row, by) for row in rows])
