"""Saving uploaded files so that a failure leaves none behind.

A service that stores files does it inside `files_removed_on_error`, through `store_file`:
a full disk gives the user a clear message, and an error later in the same block (a
refused transition, a database error) removes every file the block had written.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from django.core.files import File
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from huamu.errors import TransitionError

logger = logging.getLogger(__name__)


@contextmanager
def files_removed_on_error() -> Iterator[list[FieldFile]]:
    """Collect the files saved inside the block; if the block fails, delete them again."""
    saved: list[FieldFile] = []
    try:
        yield saved
    except BaseException:
        for field_file in saved:
            if field_file.name:
                field_file.storage.delete(field_file.name)
        raise


def store_file(
    field_file: FieldFile, filename: str, content: File, saved: list[FieldFile]
) -> None:
    """FieldFile.save(save=False), but a failed write (a full disk) leaves no file behind.

    Use it inside `files_removed_on_error`, whose list it takes: a failure later in the
    block then removes the file again. Raises TransitionError with a message for the user.
    """
    field, storage = field_file.field, field_file.storage
    # The name is chosen before writing: FileSystemStorage keeps whatever it wrote before the
    # disk filled up, and only this name finds that partial file again.
    name = storage.get_available_name(
        field.generate_filename(field_file.instance, filename), max_length=field.max_length
    )
    try:
        name = storage.save(name, content, max_length=field.max_length)
    except OSError as error:
        with suppress(OSError):
            storage.delete(name)
        logger.error("Could not store %s: %s", name, error)
        raise TransitionError(
            _(
                "The server could not store the file (the disk may be full). Nothing was "
                "saved; please try again later or tell the association."
            )
        ) from error
    setattr(field_file.instance, field.attname, name)
    saved.append(getattr(field_file.instance, field.attname))
