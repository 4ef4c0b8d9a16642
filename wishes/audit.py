"""The audit trail, written and read in one place: who changed what, from which state to
which, and when.

Every transition goes through `set_status` (records with a status field) or
`record_change` (a record's first state, and children, photos and consents, whose states
are `audit_states` on the model); `record_changes` writes the same rows for many records at
once (an import, a batch of photos). Every page that shows history reads it through
`histories_of` or `history_of`, which label the raw values in the reader's language.

Children and consents also keep field-level history (django-simple-history writes a row on
every save: child.history, consent.history); `field_history_of` reads it as who changed
which field from what to what, labelled the same way.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import OuterRef, Subquery
from django.utils import formats, timezone
from django.utils.translation import gettext, pgettext

from huamu.roles import actor_label
from wishes.models import StatusChange


def record_change(
    *,
    subject: models.Model,
    from_status: str,
    to_status: str,
    by: User | AnonymousUser | None,
    note: str = "",
) -> StatusChange:
    """Add one StatusChange row for a subject; call inside the transaction that changed it.

    An anonymous visitor (a public form) is recorded as nobody.
    """
    return StatusChange.objects.create(
        content_type=ContentType.objects.get_for_model(subject),
        object_id=subject.pk,
        from_status=from_status,
        to_status=to_status,
        by=by if isinstance(by, User) else None,
        note=note,
    )


def record_changes(
    *,
    subjects: Sequence[models.Model],
    from_status: str,
    to_status: str,
    by: User | AnonymousUser | None,
    note: str = "",
) -> list[StatusChange]:
    """Add the same change for each of several saved subjects in one insert (record_change
    for many: an import's new children, consents and wishes)."""
    by = by if isinstance(by, User) else None
    rows = [
        StatusChange(
            content_type=ContentType.objects.get_for_model(subject),
            object_id=subject.pk,
            from_status=from_status,
            to_status=to_status,
            by=by,
            note=note,
        )
        for subject in subjects
    ]
    return StatusChange.objects.bulk_create(rows, batch_size=500)


def set_status(
    subject: models.Model,
    to: str,
    *,
    by: User | AnonymousUser | None,
    note: str = "",
    fields: Iterable[str] = (),
) -> StatusChange:
    """Move a locked record to a new status, save it with `fields`, and record the change.

    The caller has checked that the move is allowed; call inside its transaction.
    """
    previous = subject.status  # type: ignore[attr-defined]
    subject.status = to  # type: ignore[attr-defined]
    update = ["status", *fields]
    if any(field.name == "updated_at" for field in subject._meta.concrete_fields):
        update.append("updated_at")
    subject.save(update_fields=update)
    return record_change(subject=subject, from_status=previous, to_status=to, by=by, note=note)


def last_entered(model: type[models.Model], states: Iterable[str]) -> Subquery:
    """For a queryset of `model`: when each row last entered one of `states`, from the
    audit trail (None if never), as an expression to annotate or filter with."""
    return Subquery(
        StatusChange.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_id=OuterRef("pk"),
            to_status__in=list(states),
        )
        .order_by("-at")
        .values("at")[:1]
    )


def status_label(model: type[models.Model] | None, value: str) -> str:
    """The translated label of a raw state of a record of `model` ("—" for none)."""
    if not value:
        return "—"
    states = getattr(model, "audit_states", None)
    if states is not None:
        return str(dict(states.choices).get(value, value))
    try:
        choices = dict(model._meta.get_field("status").flatchoices)  # type: ignore[union-attr]
    except (AttributeError, FieldDoesNotExist):
        return value
    return str(choices.get(value, value))


@dataclass(frozen=True)
class HistoryEntry:
    """One StatusChange with its states labelled for the reader."""

    change: StatusChange
    from_label: str
    to_label: str

    @property
    def at(self):
        return self.change.at

    @property
    def by(self):
        return self.change.by

    @property
    def note(self) -> str:
        return self.change.note

    @property
    def by_label(self) -> str:
        """Who made the change, as sponsors read it: a role or a team member's name."""
        return actor_label(self.change.by)


def _changes_of(model: type[models.Model], ids: Sequence[int]) -> models.QuerySet:
    content_type = ContentType.objects.get_for_model(model)
    return (
        StatusChange.objects.filter(content_type=content_type, object_id__in=ids)
        # The actor's roles too: sponsors read them as a role, not a username.
        .select_related("by__school_coordinator")
        .order_by("at", "id")
    )


def histories_of(model: type[models.Model], ids: Iterable[int]) -> dict[int, list[HistoryEntry]]:
    """The labelled history of each record, oldest first, in one query (ids without any
    history map to an empty list).

    StatusChange points at its subject through a GenericForeignKey, which prefetch_related
    cannot filter, so pages fetch the history of all their rows here at once.
    """
    ids = list(ids)
    history: dict[int, list[HistoryEntry]] = defaultdict(list)
    if not ids:
        return history
    for change in _changes_of(model, ids):
        history[change.object_id].append(
            HistoryEntry(
                change,
                from_label=status_label(model, change.from_status),
                to_label=status_label(model, change.to_status),
            )
        )
    return history


def history_of(subject: models.Model) -> models.QuerySet:
    """The StatusChange rows of one subject, oldest first."""
    return _changes_of(type(subject), [subject.pk])


# The change reason of the history rows migration 0010 wrote for records that existed then.
BASELINE_REASON = "baseline"
# Never shown as a change: the key, and what every save or no save at all changes.
_NOT_COMPARED = {"id", "created_at", "updated_at"}


@dataclass(frozen=True)
class FieldChange:
    """One step of a record's field history: a field changed (or the record was created, or
    its history began), when, by whom, from what to what, labelled for the reader."""

    at: datetime.datetime
    by: User | None
    event: str
    field: str = ""
    old: str = ""
    new: str = ""


def _compared_fields(model: type[models.Model], historical: type[models.Model]) -> list:
    tracked = {field.attname for field in historical._meta.concrete_fields}
    return [
        field
        for field in model._meta.concrete_fields
        if field.attname in tracked and field.name not in _NOT_COMPARED
    ]


def _related_names(fields: list, rows: list) -> dict[tuple[str, Any], str]:
    """The label of every related record the rows point at, one query per kind of link."""
    names: dict[tuple[str, Any], str] = {}
    for field in fields:
        if not field.is_relation:
            continue
        ids = {getattr(row, field.attname) for row in rows} - {None}
        for pk, related in field.related_model._default_manager.in_bulk(ids).items():
            names[(field.attname, pk)] = str(related)
    return names


def _shown(field: models.Field, value: Any, related: dict[tuple[str, Any], str]) -> str:
    if value is None or value == "":
        return "—"
    if field.is_relation:
        return related.get((field.attname, value), f"#{value}")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if isinstance(value, datetime.datetime):
        return formats.localize(timezone.localtime(value))
    if isinstance(value, datetime.date):
        return formats.localize(value)
    return str(value)


def field_history_of(subject: models.Model, *, latest: int | None = None) -> list[FieldChange]:
    """The field history of a child or consent, newest first (at most `latest` steps): a
    step per changed field of each save, and one for its creation or the history's start."""
    manager = subject.history  # type: ignore[attr-defined]
    rows = list(manager.select_related("history_user").order_by("history_date", "history_id"))
    fields = _compared_fields(type(subject), manager.model)
    related = _related_names(fields, rows)
    # One group per saved row, its fields in the form's order; the newest save first.
    saves: list[list[FieldChange]] = []
    previous = None
    for row in rows:
        by = row.history_user
        if previous is None or row.history_type == "+":
            event = (
                pgettext("field history", "History began")
                if row.history_change_reason == BASELINE_REASON
                else pgettext("field history", "Created")
            )
            saves.append([FieldChange(at=row.history_date, by=by, event=event)])
        else:
            event = pgettext("field history", "Changed")
            saves.append(
                [
                    FieldChange(
                        at=row.history_date,
                        by=by,
                        event=event,
                        field=str(field.verbose_name),
                        old=_shown(field, getattr(previous, field.attname), related),
                        new=_shown(field, getattr(row, field.attname), related),
                    )
                    for field in fields
                    if getattr(previous, field.attname) != getattr(row, field.attname)
                ]
            )
        previous = row
    steps = [step for save in reversed(saves) for step in save]
    return steps if latest is None else steps[:latest]
