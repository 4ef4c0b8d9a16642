"""Writing the audit trail: who changed what, from which state to which, and when."""

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import models

from wishes.models import StatusChange


def record_change(
    *,
    subject: models.Model,
    from_status: str,
    to_status: str,
    by: AbstractBaseUser | None,
    note: str = "",
) -> StatusChange:
    """Add one StatusChange row for a subject; call inside the transaction that changed it."""
    return StatusChange.objects.create(
        content_type=ContentType.objects.get_for_model(subject),
        object_id=subject.pk,
        from_status=from_status,
        to_status=to_status,
        by=by if by is not None and by.is_authenticated else None,
        note=note,
    )


def history_of(subject: models.Model):
    """Return the StatusChange rows of one subject, oldest first."""
    return StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(subject), object_id=subject.pk
    ).select_related("by")
