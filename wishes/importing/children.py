"""Importing children and wishes from a spreadsheet: the batch, from upload to import.

A batch goes: uploaded → checked (every row valid: it may be imported) or failed (problems,
listed by row and column: fix the file and upload it again) → imported, all or nothing. The
same child (school, real name, birth year) or the same child's wish in the campaign is never
created twice, so importing a file again creates nothing new. The file is read by
wishes/importing/reader.py and its rows checked by wishes/importing/rows.py.
"""

import datetime
import logging
import secrets
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.utils import bulk_create_with_history

from huamu.cache import bump_public_version
from huamu.errors import TransitionError
from huamu.storage import files_removed_on_error, store_file
from huamu.tasks import stuck_minutes
from wishes.audit import record_change, record_changes, set_status
from wishes.importing.columns import COLUMNS, TEMPLATE_SHEET
from wishes.importing.problems import IMPORT_FAILED, ImportFileError, Problem
from wishes.importing.reader import FILE_TOO_LARGE, Table, max_bytes, read_table
from wishes.importing.rows import Check, Row, check_table
from wishes.models import (
    Campaign,
    Child,
    ChildState,
    Consent,
    ConsentMethod,
    ConsentState,
    ImportBatch,
    ImportStatus,
    Wish,
    WishStatus,
)
from wishes.models.children import school_year_end
from wishes.models.wishes import write_codes
from wishes.privacy.redaction import redact_for_child
from wishes.reports import tallies
from wishes.reports.tallies import Scope

logger = logging.getLogger(__name__)

# The problems kept for the preview; the total is counted in the summary.
MAX_PROBLEMS_KEPT = 1000


class _Progress:
    """Writes rows_done about twenty times per pass, so a large file costs few updates."""

    def __init__(self, batch: ImportBatch, total: int) -> None:
        self.batch_id = batch.pk
        self.total = total
        self.step = max(1, total // 20)

    def __call__(self, done: int) -> None:
        if done % self.step == 0 or done == self.total:
            ImportBatch.objects.filter(pk=self.batch_id).update(
                rows_done=done, updated_at=timezone.now()
            )


def _read(batch: ImportBatch) -> Table:
    with batch.file.open("rb") as stored:
        data = stored.read(max_bytes() + 1)
    if len(data) > max_bytes():
        raise ImportFileError(FILE_TOO_LARGE, max=filesizeformat(max_bytes()))
    # The file opened, so it has a name.
    return read_table(data, name=batch.file.name or "", sheet_name=TEMPLATE_SHEET)


def _problems_json(problems: list[Problem]) -> list[dict]:
    position = {column.header: index for index, column in enumerate(COLUMNS)}
    ordered = sorted(problems, key=lambda p: (p.row or 0, position.get(p.column, -1)))
    return [problem.as_json() for problem in ordered[:MAX_PROBLEMS_KEPT]]


def _check_file(batch: ImportBatch, *, count: bool) -> Check:
    """Read and check the batch's file; file-level errors become a problem of the check.

    With `count`, rows_total and rows_done show the check's progress; the check the import
    repeats leaves them to the import's own progress.
    """
    try:
        table = _read(batch)
    except ImportFileError as error:
        return Check(problems=[error.problem])
    if not count:
        return check_table(table, campaign=batch.campaign)
    batch.rows_total = len(table.rows)
    batch.rows_done = 0
    batch.save(update_fields=["rows_total", "rows_done", "updated_at"])
    return check_table(table, campaign=batch.campaign, progress=_Progress(batch, len(table.rows)))


def upload_batch(*, upload: UploadedFile, kind: str, campaign: Campaign, by: User) -> ImportBatch:
    """Store an uploaded spreadsheet (checked by `sniff`) as a new batch waiting for its check."""
    batch = ImportBatch(
        original_name=(upload.name or "").rsplit("/", 1)[-1][:200],
        campaign=campaign,
        created_by=by,
        summary={"phase": "checking"},
    )
    # The server names the stored file; only the checked kind is kept from the upload. A
    # full disk is a TransitionError with its message, and leaves no row and no file.
    with transaction.atomic(), files_removed_on_error() as saved:
        store_file(batch.file, f"import.{kind}", upload, saved)
        batch.save()
        record_change(subject=batch, from_status="", to_status=ImportStatus.UPLOADED, by=by)
    return batch


def check_batch(*, batch_id: int) -> ImportBatch:
    """Check every row of an uploaded batch; it becomes checked, or failed with its problems."""
    batch = ImportBatch.objects.select_related("campaign").get(pk=batch_id)
    if batch.status != ImportStatus.UPLOADED:
        return batch
    check = _check_file(batch, count=True)
    batch.problems = _problems_json(check.problems)
    batch.summary = {
        "phase": "checked",
        "problems_total": len(check.problems),
        **check.counts,
        "preview": check.preview(),
    }
    status = ImportStatus.FAILED if check.problems else ImportStatus.CHECKED
    set_status(batch, status, by=None, fields=["problems", "summary"])
    return batch


def begin_import(*, batch_id: int, by: User) -> ImportBatch:
    """Mark a checked batch as being imported; a second click is refused, not run twice."""
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        if batch.status != ImportStatus.CHECKED or batch.problems:
            raise TransitionError(
                _("Only a checked file without problems can be imported; this one is %(status)s.")
                % {"status": batch.get_status_display()}
            )
        if batch.summary.get("phase") == "importing":
            raise TransitionError(_("This file is already being imported."))
        batch.summary = {**batch.summary, "phase": "importing"}
        batch.rows_done = 0
        batch.save(update_fields=["summary", "rows_done", "updated_at"])
    return batch


def working_phase(batch: ImportBatch) -> str:
    """ "checking" or "importing" while a task works on the batch (or should), else ""."""
    if batch.status == ImportStatus.UPLOADED:
        return "checking"
    if batch.status == ImportStatus.CHECKED and batch.summary.get("phase") == "importing":
        return "importing"
    return ""


def is_stuck(batch: ImportBatch, now: datetime.datetime | None = None) -> bool:
    """Whether the batch's check or import has made no progress for `stuck_minutes()`.

    The check writes its progress about twenty times per file and the import starts by
    marking the batch, so a batch untouched that long was left by a worker that died (or
    waits for a worker that is not running).
    """
    now = now or timezone.now()
    limit = datetime.timedelta(minutes=stuck_minutes())
    return bool(working_phase(batch)) and batch.updated_at < now - limit


def restart_stuck_batch(*, batch_id: int, by: User) -> str:
    """Take over a stuck check or import so it can be queued again; return its phase.

    Recorded in the batch's history. Safe against a worker that is in fact still running: an
    import holds the batch's row (its progress updates) until it commits, so this waits for
    it and then finds the batch imported or failed, and refuses. An import is all or nothing,
    so one killed half-way left nothing to undo.
    """
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
        phase = working_phase(batch)
        if not is_stuck(batch):
            raise TransitionError(
                _(
                    "Only a check or an import without progress for %(minutes)d minutes can be "
                    "started again; this one is running or has finished."
                )
                % {"minutes": stuck_minutes()}
            )
        batch.rows_done = 0
        batch.save(update_fields=["rows_done", "updated_at"])
        note = (
            _("Import started again: it had made no progress for %(minutes)d minutes.")
            if phase == "importing"
            else _("Check started again: it had made no progress for %(minutes)d minutes.")
        ) % {"minutes": stuck_minutes()}
        record_change(
            subject=batch, from_status=batch.status, to_status=batch.status, by=by, note=note
        )
    return phase


# Rows are written this many at a time: a few bulk inserts per batch of rows, not per row.
IMPORT_BATCH_ROWS = 500


@dataclass
class _Created:
    """The records of the rows read since the last flush, inserted together by `flush`."""

    by: User
    note: str
    children: list[Child] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    wishes: list[Wish] = field(default_factory=list)

    def flush(self, campaign: Campaign) -> None:
        """Insert the pending records with their field history and first audit state."""
        # The field history rows of the new records name the user who started the import,
        # which may run in a background task outside any request.
        bulk_create_with_history(
            self.children, Child, batch_size=IMPORT_BATCH_ROWS, default_user=self.by
        )
        bulk_create_with_history(
            self.consents, Consent, batch_size=IMPORT_BATCH_ROWS, default_user=self.by
        )
        Wish.objects.bulk_create(self.wishes, batch_size=IMPORT_BATCH_ROWS)
        # The public code is the campaign year and the row number, known once inserted.
        for wish in self.wishes:
            wish.code = f"HM{campaign.year}-{wish.pk:05d}"
        write_codes(self.wishes)
        # bulk_create sends no signals: the new wishes enter the running totals here.
        tallies.count_new(Scope(wishes=Q(pk__in=[wish.pk for wish in self.wishes])))
        record_changes(
            subjects=self.children,
            from_status="",
            to_status=ChildState.KEPT,
            by=self.by,
            note=self.note,
        )
        record_changes(
            subjects=self.consents,
            from_status="",
            to_status=ConsentState.IN_FORCE,
            by=self.by,
            note=self.note,
        )
        record_changes(
            subjects=self.wishes,
            from_status="",
            to_status=WishStatus.DRAFT,
            by=self.by,
            note=self.note,
        )
        self.children, self.consents, self.wishes = [], [], []


def _import_row(row: Row, campaign: Campaign, by: User, note: str, created: _Created) -> None:
    """Prepare a row's new child, consent and wish; `_Created.flush` inserts them."""
    data = row.data
    child = row.child
    if child is None:
        child = Child(
            real_name=data["real_name"],
            alias=data["alias"],
            gender=data["gender"],
            birth_year=data["birth_year"],
            grade=data["grade"],
            class_name=data["class_name"],
            school=data["school"],
            home_region=data["home_region"],
            address=data["address"],
            guardian_name=data["guardian_name"],
            guardian_phone=data["guardian_phone"],
            hardship_category=data["hardship_category"],
            hardship_note=data["hardship_note"],
        )
        created.children.append(child)
    if data["consent"] and not row.consent_exists:
        created.consents.append(
            Consent(
                child=child,
                keep_record=True,
                publish_wish=data["publish_wish"],
                share_photos_with_sponsor=data["share_photos"],
                publish_photos=data["publish_photos"],
                share_letter_with_sponsor=data["share_letter"],
                method=ConsentMethod.PAPER,
                given_on=data["consent_date"],
                # What Consent.save gives every consent; bulk inserts do not call it.
                valid_until=school_year_end(data["consent_date"]),
                given_by=data["guardian_name"],
                collected_by=by,
                note=note,
            )
        )
    if not row.wish_exists:
        created.wishes.append(
            Wish(
                child=child,
                campaign=campaign,
                # Unique until the flush gives the real code from the inserted row's id.
                code=f"~{secrets.token_hex(9)}",
                category=data["category"],
                child_words=data["child_words"],
                public_text=redact_for_child(data["child_words"], child),
                estimated_value=data["estimated_value"],
            )
        )


class _Refused(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("refused")
        self.problems = problems


def _import_locked(batch: ImportBatch, by: User) -> dict:
    # One import per campaign at a time, so two imports of one file cannot both create a child.
    campaign = Campaign.objects.select_for_update().get(pk=batch.campaign_id)
    # Checked again under the lock: schools or children may have changed since the preview.
    check = _check_file(batch, count=False)
    if check.problems:
        raise _Refused(check.problems)
    note = gettext("Imported from %(file)s") % {"file": batch.original_name}
    progress = _Progress(batch, len(check.rows))
    created = _Created(by=by, note=note)
    for done, row in enumerate(check.rows, start=1):
        _import_row(row, campaign, by, note, created)
        if done % IMPORT_BATCH_ROWS == 0:
            created.flush(campaign)
        progress(done)
    created.flush(campaign)
    # Bulk inserts send no post_save signal: the public pages' cache is told once.
    bump_public_version()
    return check.counts


def import_batch(*, batch_id: int, by: User) -> ImportBatch:
    """Create the children, consents and draft wishes of a checked batch, all or nothing."""
    batch = ImportBatch.objects.select_related("campaign").get(pk=batch_id)
    if batch.status != ImportStatus.CHECKED or batch.summary.get("phase") != "importing":
        raise TransitionError(_("Start the import from the file's preview page."))
    try:
        with transaction.atomic():
            counts = _import_locked(batch, by)
            batch.summary = {**batch.summary, "phase": "imported", "imported": counts}
            # The progress was written row by row; the status goes with the last of it.
            batch.refresh_from_db(fields=["rows_done"])
            set_status(batch, ImportStatus.IMPORTED, by=by, fields=["summary"])
    except _Refused as refusal:
        batch.problems = _problems_json(refusal.problems)
        batch.summary = {
            **batch.summary,
            "phase": "checked",
            "problems_total": len(refusal.problems),
        }
        set_status(batch, ImportStatus.FAILED, by=by, fields=["problems", "summary"])
    except Exception:
        logger.exception("Import of batch %s failed", batch_id)
        batch.refresh_from_db()
        batch.problems = [Problem(None, "", IMPORT_FAILED).as_json()]
        batch.summary = {**batch.summary, "phase": "checked", "problems_total": 1}
        set_status(batch, ImportStatus.FAILED, by=by, fields=["problems", "summary"])
    return batch
