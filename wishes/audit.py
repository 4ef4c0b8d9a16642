"""The audit trail, written and read in one place: who changed what, from which state to
which, and when.

Every transition goes through `set_status` (records with a status field) or
`record_change` (a record's first state, and photos and consents, whose states are
`audit_states` on the model). Every page that shows history reads it through
`histories_of` or `history_of`, which label the raw values in the reader's language.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models

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


def _changes_of(model: type[models.Model], ids: Sequence[int]) -> models.QuerySet:
    content_type = ContentType.objects.get_for_model(model)
    return (
        StatusChange.objects.filter(content_type=content_type, object_id__in=ids)
        .select_related("by")
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
