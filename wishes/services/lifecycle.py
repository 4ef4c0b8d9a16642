"""The end of a child's data: anonymisation after the retention period, and erasure at the
guardian's request.

Both go through `anonymise_child`. In one transaction it replaces everything that names,
reaches or locates the child by neutral values: names, guardian, phone, address, class,
hardship details, private words, the child's own words, the consents' signatures, notes and
signed forms, the photos and the letters (scans, watermarked copies and texts), names in
notes of the audit trail and in import file names, and the field history where the models
keep one. It keeps what the programme's numbers need: the alias, grade band, region,
school, the wishes' category, value, dates, statuses and published text (it already passed
the privacy guard), claims and fulfilments; /impact/ shows the same figures after. Files
leave the storage once the transaction has committed. The audit row on the child says who
and why, never what was erased.

A child is due for anonymisation (`expired_children`) `CHILD_DATA_MONTHS` months after its
last wish closed (fulfilled or withdrawn), or after it was withdrawn; a child without any
wish counts from its record's creation. `anonymise_expired` is the daily run; erasures are
also written to the erasure log outside the database, so that `reapply_erasures` can erase
them again after a backup older than the erasure was restored.
"""

import calendar
import copy
import datetime
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import Storage
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from huamu.errors import TransitionError
from wishes.audit import last_entered, record_change
from wishes.importing.problems import ImportFileError
from wishes.importing.reader import read_rows
from wishes.models import (
    COMMENT_MAX_LENGTH,
    PUBLISHED_STATUSES,
    Child,
    ChildState,
    Claim,
    Consent,
    ConsentState,
    Feedback,
    Fulfilment,
    FulfilmentPhoto,
    GradeBand,
    ImportBatch,
    PublicLocation,
    StatusChange,
    ThankYouLetter,
    Wish,
    WishStatus,
)
from wishes.privacy.aliases import neutral_alias
from wishes.privacy.guard import REASON_TEXT, check_text, find_identifiers
from wishes.privacy.redaction import redact_for_child
from wishes.services.wishes import withdraw_wish

logger = logging.getLogger(__name__)

CLOSED_WISHES = [WishStatus.FULFILLED, WishStatus.WITHDRAWN]
OPEN_WISHES = [WishStatus.DRAFT, WishStatus.OPEN, WishStatus.CLAIMED]
LIFECYCLE_KINDS = (ChildState.ANONYMISED, ChildState.ERASED)
# The words of the default aliases (小星同学): sharing them with a real name says nothing.
_ALIAS_FRAME = set("小同学")


def retention_months() -> int:
    """How many months a child's data is kept after its last wish closed."""
    return int(settings.HUAMU_CHILD_DATA_MONTHS)


def months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    """The same moment `months` calendar months earlier (31 March less one month: 28/29 Feb)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def expired_children(now: datetime.datetime | None = None) -> models.QuerySet[Child]:
    """Children not yet anonymised whose retention period is over.

    A wish closed when it last became fulfilled or withdrawn (its audit trail); a wish
    without such a row counts from its last change.
    """
    cutoff = months_before(now or timezone.now(), retention_months())
    closed_recently = (
        Wish.objects.filter(child=OuterRef("pk"))
        .annotate(closed_at=Coalesce(last_entered(Wish, CLOSED_WISHES), "updated_at"))
        .filter(closed_at__gte=cutoff)
    )
    still_open = Wish.objects.filter(child=OuterRef("pk"), status__in=OPEN_WISHES)
    return Child.objects.not_anonymised().filter(
        Q(withdrawn_at__lt=cutoff)
        | (Q(created_at__lt=cutoff) & ~Exists(still_open) & ~Exists(closed_recently))
    )


def delete_history(model: type[models.Model], ids: Iterable[int]) -> int:
    """Delete the field history (django-simple-history's `history`) of these records.

    Does nothing for a model that keeps no such history, so it works with or without it.
    """
    manager = getattr(model, "history", None)
    ids = list(ids)
    if manager is None or not ids or not hasattr(manager, "filter"):
        return 0
    deleted, _rows = manager.filter(**{f"{model._meta.pk.attname}__in": ids}).delete()
    return deleted


_StoredFile = tuple[Storage, str]


def _take_files(obj: models.Model, files: list[_StoredFile]) -> list[str]:
    """Empty every file field of `obj`, noting the stored files; the names of the fields."""
    emptied = []
    for field in obj._meta.concrete_fields:
        if not isinstance(field, models.FileField):
            continue
        field_file = getattr(obj, field.attname)
        if field_file:
            files.append((field_file.storage, field_file.name))
        setattr(obj, field.attname, "")
        emptied.append(field.attname)
    return emptied


def _scrubber(child: Child) -> Callable[[str], str]:
    """A text with whatever names the child (as recorded now) replaced, as drafts do."""

    def scrub(text: str) -> str:
        if text and find_identifiers(text, child=child, contacts=False):
            return redact_for_child(text, child)
        return text

    return scrub


def _scrub_notes(subjects: dict[type[models.Model], list[int]], scrub) -> None:
    # The audit trail stays; only words in its notes that name the child go.
    where = Q(pk__in=[])
    for model, ids in subjects.items():
        if ids:
            where |= Q(content_type=ContentType.objects.get_for_model(model), object_id__in=ids)
    for change in StatusChange.objects.filter(where).exclude(note=""):
        note = scrub(change.note)
        if note != change.note:
            change.note = note
            change.save(update_fields=["note"])


def _names_child(data: bytes, name: str, real_name: str) -> bool:
    try:
        return any(
            isinstance(cell, str) and cell.strip() == real_name
            for row in read_rows(data, name=name)
            for cell in row
        )
    except ImportFileError:
        # Unreadable as a spreadsheet: it imported nobody.
        return False


def _scrub_imports(original: Child, scrub, files: list[_StoredFile], now) -> None:
    """Import file names naming the child, and stored spreadsheets holding its row."""
    # Only the fields changed here are saved: an import running meanwhile keeps its progress.
    for batch in ImportBatch.objects.order_by("pk"):
        changed = []
        if scrub(batch.original_name) != batch.original_name:
            batch.original_name = scrub(batch.original_name)
            changed.append("original_name")
        if batch.file and batch.file_removed_at is None:
            try:
                with batch.file.open("rb") as stored:
                    data = stored.read()
            except FileNotFoundError:
                data = b""
            if data and _names_child(data, batch.file.name or "", original.real_name):
                changed += _take_files(batch, files)
                batch.file_removed_at = now
                changed.append("file_removed_at")
                record_change(
                    subject=batch,
                    from_status=batch.status,
                    to_status=batch.status,
                    by=None,
                    note=_("Uploaded file removed: it held the data of an anonymised child."),
                )
        if changed:
            batch.save(update_fields=[*changed, "updated_at"])


def _withdraw_open_wishes(child: Child, by: User | None) -> None:
    # Wishes in id order, as every service locks them; withdraw_wish cancels a claim and
    # tells its sponsor, without saying why beyond this.
    for wish_id in (
        Wish.objects.filter(child=child, status__in=OPEN_WISHES)
        .order_by("pk")
        .values_list("pk", flat=True)
    ):
        withdraw_wish(
            wish_id=wish_id,
            by=by,
            reason=_("The child's record was closed at the guardian's request."),
        )


def _delete_files_later(files: list[_StoredFile]) -> None:
    def delete() -> None:
        for storage, name in files:
            try:
                storage.delete(name)
            except Exception:
                # The rows are gone; the name (a random one) is in the log to remove by hand.
                logger.exception("Could not delete the stored file %s", name)

    transaction.on_commit(delete)


def erasure_log() -> Path:
    return Path(settings.HUAMU_ERASURE_LOG)


def _log_erasure_later(child_id: int, at: datetime.datetime) -> None:
    def write() -> None:
        path = erasure_log()
        try:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as log:
                log.write(f"{child_id}\t{at.isoformat()}\n")
        except OSError:
            logger.exception("Could not add child %s to the erasure log %s", child_id, path)

    transaction.on_commit(write)


def anonymise_child(*, child_id: int, by: User | None, reason: str, kind: str) -> Child:
    """Replace everything that identifies a child by neutral values, keeping the numbers.

    `kind` is ChildState.ANONYMISED (the retention period is over) or ChildState.ERASED (the
    guardian asked); `reason` goes into the audit row and must not name the child. The
    child's wishes still open are withdrawn, its consents in force withdrawn.
    """
    reason = reason.strip()
    if kind not in LIFECYCLE_KINDS:
        raise ValueError(f"Unknown kind {kind!r}")
    if not reason:
        raise TransitionError(_("Please give a reason for erasing the child's data."))
    with transaction.atomic():
        child = Child.objects.select_for_update().filter(pk=child_id).first()
        if child is None:
            raise TransitionError(_("This child does not exist."))
        if child.anonymised_at is not None:
            raise TransitionError(_("This child's data has already been anonymised."))
        check_text(reason, child=child, what=REASON_TEXT)
        now = timezone.now()
        # What identified the child, kept aside to find it in texts while they are cleaned.
        original = copy.copy(child)
        scrub = _scrubber(original)
        files: list[_StoredFile] = []
        _withdraw_open_wishes(child, by)

        # Locked in id order, as every service locks wishes.
        wishes = list(Wish.objects.select_for_update().filter(child=child).order_by("pk"))
        for wish in wishes:
            wish.child_words = ""
            # A published text passed the guard and stays for the public pages; a text
            # never published was a draft of the child's words.
            wish.public_text = scrub(wish.public_text) if wish.status in PUBLISHED_STATUSES else ""
            wish.save(update_fields=["child_words", "public_text", "updated_at"])
        wish_ids = [wish.pk for wish in wishes]
        claims = list(Claim.objects.select_for_update().filter(wish_id__in=wish_ids))
        for claim in claims:
            if scrub(claim.cancel_reason) != claim.cancel_reason:
                claim.cancel_reason = scrub(claim.cancel_reason)
                claim.save(update_fields=["cancel_reason", "updated_at"])
        # Feedback keeps its rating for the numbers; a comment naming the child is cleaned.
        for feedback in Feedback.objects.select_for_update().filter(claim__in=claims):
            if scrub(feedback.comment) != feedback.comment:
                # The words said instead may be longer than the name: the column's limit holds.
                feedback.comment = scrub(feedback.comment)[:COMMENT_MAX_LENGTH]
                feedback.save(update_fields=["comment", "updated_at"])
        fulfilments = list(
            Fulfilment.objects.select_for_update().filter(claim__wish_id__in=wish_ids)
        )
        for fulfilment in fulfilments:
            fulfilment.note = ""
            fulfilment.save(update_fields=["note", "updated_at"])
        fulfilment_ids = [fulfilment.pk for fulfilment in fulfilments]
        # Photos and letters are nothing but the child's image and words: they go entirely.
        letters = list(
            ThankYouLetter.objects.select_for_update().filter(fulfilment_id__in=fulfilment_ids)
        )
        photos = list(
            FulfilmentPhoto.objects.select_for_update().filter(fulfilment_id__in=fulfilment_ids)
        )
        for record in [*letters, *photos]:
            _take_files(record, files)
        letter_ids = [letter.pk for letter in letters]
        photo_ids = [photo.pk for photo in photos]
        ThankYouLetter.objects.filter(pk__in=letter_ids).delete()
        FulfilmentPhoto.objects.filter(pk__in=photo_ids).delete()

        consents = list(Consent.objects.select_for_update().filter(child=child).order_by("pk"))
        for consent in consents:
            fields = ["given_by", "note", "updated_at", *_take_files(consent, files)]
            if consent.withdrawn_at is None:
                # In force or expired: either way, withdrawn now.
                previous = consent.state
                consent.withdrawn_at = now
                fields.append("withdrawn_at")
                record_change(
                    subject=consent,
                    from_status=previous,
                    to_status=ConsentState.WITHDRAWN,
                    by=by,
                    note=_("The child's data was anonymised."),
                )
            consent.given_by = ""
            consent.note = ""
            consent.save(update_fields=fields)
        consent_ids = [consent.pk for consent in consents]

        subjects: dict[type[models.Model], list[int]] = {
            Child: [child.pk],
            Consent: consent_ids,
            Wish: wish_ids,
            Claim: [claim.pk for claim in claims],
            Fulfilment: fulfilment_ids,
            ThankYouLetter: letter_ids,
            FulfilmentPhoto: photo_ids,
        }
        _scrub_notes(subjects, scrub)
        _scrub_imports(original, scrub, files, now)

        # An alias of the old kind (小王同学) holds the surname: it is replaced too.
        if (set(child.alias) - _ALIAS_FRAME) & set(child.real_name):
            child.alias = neutral_alias(real_name=child.real_name)
        child.real_name = child.alias
        child.guardian_name = child.guardian_phone = ""
        child.class_name = child.address = child.hardship_note = child.private_words = ""
        child.public_location = PublicLocation.REGION
        # The band stays (public pages show it); the exact grade and year of birth narrow it.
        child.grade = GradeBand.grades(child.grade_band)[0]
        child.birth_year = max(2000, child.birth_year - child.birth_year % 5)
        child.anonymised_at = now
        extra = _take_files(child, files)
        child.save(
            update_fields=[
                "alias",
                "real_name",
                "guardian_name",
                "guardian_phone",
                "class_name",
                "address",
                "hardship_note",
                "private_words",
                "public_location",
                "grade",
                "birth_year",
                "anonymised_at",
                "updated_at",
                *extra,
            ]
        )
        record_change(
            subject=child, from_status=original.state, to_status=kind, by=by, note=reason
        )
        # Last: the saves above added history rows of their own.
        for model, ids in subjects.items():
            delete_history(model, ids)
        _delete_files_later(files)
        if kind == ChildState.ERASED:
            _log_erasure_later(child.pk, now)
    return child


def erase_child(*, child_id: int, by: User, reason: str) -> Child:
    """Erase a child's private data at once, at the guardian's request."""
    return anonymise_child(child_id=child_id, by=by, reason=reason, kind=ChildState.ERASED)


@dataclass(frozen=True)
class ExpiryRun:
    """What one run of the retention rule did: children due, anonymised, left to others."""

    due: int
    anonymised: int
    skipped: int


def anonymise_expired(*, now: datetime.datetime | None = None, dry_run: bool = False) -> ExpiryRun:
    """Anonymise every child whose retention period is over, each in its own transaction.

    Safe to run twice at once: a child another run holds is skipped (PostgreSQL's SKIP
    LOCKED), and a child is checked again under its lock.
    """
    now = now or timezone.now()
    ids = list(expired_children(now).order_by("pk").values_list("pk", flat=True))
    if dry_run:
        return ExpiryRun(due=len(ids), anonymised=0, skipped=0)
    months = retention_months()
    reason = _("The retention period of %(months)d months is over.") % {"months": months}
    skip_locked = connection.features.has_select_for_update_skip_locked
    done = 0
    for child_id in ids:
        try:
            with transaction.atomic():
                held = (
                    Child.objects.select_for_update(skip_locked=skip_locked)
                    .filter(pk=child_id)
                    .values_list("pk", flat=True)
                    .first()
                )
                if held is None or not expired_children(now).filter(pk=child_id).exists():
                    continue
                anonymise_child(
                    child_id=child_id, by=None, reason=reason, kind=ChildState.ANONYMISED
                )
                done += 1
        except TransitionError:
            # Anonymised by another run meanwhile.
            continue
    return ExpiryRun(due=len(ids), anonymised=done, skipped=len(ids) - done)


def erased_child_ids() -> set[int]:
    """Every child ever erased at a guardian's request: the audit trail and the erasure log."""
    ids = set(
        StatusChange.objects.filter(
            content_type=ContentType.objects.get_for_model(Child), to_status=ChildState.ERASED
        ).values_list("object_id", flat=True)
    )
    path = erasure_log()
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            first = line.split("\t", 1)[0].strip()
            if first.isdigit():
                ids.add(int(first))
    return ids


def reapply_erasures(*, dry_run: bool = False) -> list[int]:
    """Erase again the children erased before whose data is back (a restored backup).

    Returns the ids of the children erased (with `dry_run`: that would be).
    """
    due = list(
        Child.objects.not_anonymised()
        .filter(pk__in=erased_child_ids())
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if dry_run:
        return due
    reason = _("Erased again after a restore: the guardian had asked for erasure.")
    done = []
    for child_id in due:
        try:
            anonymise_child(child_id=child_id, by=None, reason=reason, kind=ChildState.ERASED)
        except TransitionError:
            continue
        done.append(child_id)
    return done
