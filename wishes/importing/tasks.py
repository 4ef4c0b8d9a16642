"""The spreadsheet import's background tasks (django.tasks), run by the TASKS backend."""

from django.contrib.auth import get_user_model
from django.tasks import task

from wishes.importing.children import check_batch, import_batch


@task
def check_import_task(batch_id: int) -> str:
    """Check every row of an uploaded spreadsheet; returns the batch's new status."""
    return check_batch(batch_id=batch_id).status


@task
def import_batch_task(batch_id: int, user_id: int) -> str:
    """Import a checked spreadsheet, all or nothing; returns the batch's new status."""
    user = get_user_model().objects.get(pk=user_id)
    return import_batch(batch_id=batch_id, by=user).status
