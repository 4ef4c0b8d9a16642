"""Importing children and wishes from a spreadsheet: the batch, from upload to import.

A batch goes: uploaded → checked (every row valid: it may be imported) or failed (problems,
listed by row and column: fix the file and upload it again) → imported, all or nothing. The
same child (school, real name, birth year) or the same child's wish in the campaign is never
created twice, so importing a file again creates nothing new. The file is read by
wishes/importing/reader.py and its rows checked by wishes/importing/rows.py.
"""

import logging
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huamu.errors import TransitionError
from huamu.storage import files_removed_on_error, store_file
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
from wishes.privacy.redaction import redact_for_child

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


@dataclass
class _Created:
    """The records an import created, for the audit rows written once at its end."""

    children: list[Child] = field(default_factory=list)
    consents: list[Consent] = field(default_factory=list)
    wishes: list[Wish] = field(default_factory=list)

    def record(self, by: User, note: str) -> None:
        """Each new record's first state in the audit trail, a few inserts for the file."""
        record_changes(
            subjects=self.children, from_status="", to_status=ChildState.KEPT, by=by, note=note
        )
        record_changes(
            subjects=self.consents,
            from_status="",
            to_status=ConsentState.IN_FORCE,
            by=by,
            note=note,
        )
        record_changes(
            subjects=self.wishes, from_status="", to_status=WishStatus.DRAFT, by=by, note=note
        )


def _saved_by[T: models.Model](record: T, by: User) -> T:
    # An import may run in a background task, outside any request: the field history row
    # of the new record names the user who started it.
    record._history_user = by  # type: ignore[attr-defined]
    record.save()
    return record


def _import_row(row: Row, campaign: Campaign, by: User, note: str, created: _Created) -> None:
    data = row.data
    child = row.child
    if child is None:
        child = _saved_by(
            Child(
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
            ),
            by,
        )
        created.children.append(child)
    if data["consent"] and not row.consent_exists:
        consent = _saved_by(
            Consent(
                child=child,
                keep_record=True,
                publish_wish=data["publish_wish"],
                share_photos_with_sponsor=data["share_photos"],
                publish_photos=data["publish_photos"],
                share_letter_with_sponsor=data["share_letter"],
                method=ConsentMethod.PAPER,
                given_on=data["consent_date"],
                given_by=data["guardian_name"],
                collected_by=by,
                note=note,
            ),
            by,
        )
        created.consents.append(consent)
    if not row.wish_exists:
        wish = Wish.objects.create(
            child=child,
            campaign=campaign,
            category=data["category"],
            child_words=data["child_words"],
            public_text=redact_for_child(data["child_words"], child),
            estimated_value=data["estimated_value"],
        )
        created.wishes.append(wish)


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
    created = _Created()
    for done, row in enumerate(check.rows, start=1):
        _import_row(row, campaign, by, note, created)
        progress(done)
    created.record(by, note)
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
