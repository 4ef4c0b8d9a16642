"""`manage.py restore ARCHIVE --yes`: put back the database and the files of a backup."""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _

from huamu.backup import (
    ENGINE_LABELS,
    BackupError,
    check_restorable,
    count_media_files,
    current_state,
    database_label,
    media_root,
    pending_migrations,
    read_manifest,
    restore_backup,
)


class Command(BaseCommand):
    # A property, not a lazy string: argparse needs a real str, in the active language.
    @property
    def help(self) -> str:  # type: ignore[override]
        return _(
            "Replace the database and the media folder with those of a backup archive, then "
            "check the row counts. Without --yes, only show what would be overwritten."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, help=_("The .tar.gz file `backup` wrote."))
        parser.add_argument(
            "--yes",
            action="store_true",
            help=_("Really overwrite the database and the media folder."),
        )

    def handle(self, *args, archive: Path, yes: bool, **options) -> None:
        """Describe the restore; with --yes, do it and print the checked counts."""
        try:
            manifest = read_manifest(archive)
            check_restorable(manifest)
            self.describe(archive, manifest)
        except BackupError as error:
            raise CommandError(str(error)) from error
        except DatabaseError as error:
            raise CommandError(
                _("Cannot read the current database: %(error)s") % {"error": error}
            ) from error
        if not yes:
            raise CommandError(_("Nothing was changed. Run again with --yes to overwrite them."))
        try:
            counts = restore_backup(archive)
        except BackupError as error:
            raise CommandError(str(error)) from error
        for label, count in counts.items():
            self.stdout.write(f"  {label}: {count}")
        self.stdout.write(
            _("Restored %(path)s: every row count matches the manifest.") % {"path": archive}
        )
        pending = pending_migrations()
        if pending:
            self.stdout.write(
                _(
                    "This code has migrations the archive predates; run manage.py migrate: "
                    "%(names)s"
                )
                % {"names": ", ".join(pending)}
            )

    def describe(self, archive: Path, manifest: dict) -> None:
        """Say what the archive is and what a restore would overwrite."""
        created = timezone.localtime(datetime.datetime.fromisoformat(manifest["created_at"]))
        self.stdout.write(
            _("Archive %(path)s: %(engine)s, made %(created)s by version %(version)s.")
            % {
                "path": archive,
                "engine": ENGINE_LABELS[manifest["engine"]],
                "created": f"{created:%Y-%m-%d %H:%M}",
                "version": manifest.get("app_version") or "?",
            }
        )
        self.stdout.write(_("Restoring it overwrites:"))
        counts, _migrations = current_state()
        self.stdout.write(
            "  "
            + _("the database %(database)s: %(now)d rows now, %(then)d in the archive")
            % {
                "database": database_label(),
                "now": sum(counts.values()),
                "then": sum(manifest["counts"].values()),
            }
        )
        root = media_root()
        if manifest["media"]["included"] and root is not None:
            self.stdout.write(
                "  "
                + _("the media folder %(path)s: %(now)d files now, %(then)d in the archive")
                % {
                    "path": root,
                    "now": count_media_files(root),
                    "then": manifest["media"]["files"],
                }
            )
        else:
            self.stdout.write("  " + _("nothing in the media folder: the archive holds no files."))
