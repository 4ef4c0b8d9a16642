"""`manage.py backup`: one archive with the database, the uploaded files and a manifest."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from huamu.backup import BackupError, create_backup


def default_output() -> Path:
    """Where archives go unless --output says otherwise."""
    return Path(getattr(settings, "HUAMU_BACKUP_DIR", settings.BASE_DIR / "backups"))


class Command(BaseCommand):
    # A property, not a lazy string: argparse needs a real str, in the active language.
    @property
    def help(self) -> str:  # type: ignore[override]
        return _(
            "Write one archive with the database, the uploaded files and a manifest, readable "
            "by its owner only, and print its path."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            metavar="DIR",
            help=_("Folder for the archive; created if missing (default: %(folder)s).")
            % {"folder": default_output()},
        )

    def handle(self, *args, output: Path | None, verbosity: int, **options) -> None:
        """Write the archive; the last line printed is its path."""
        try:
            path, manifest = create_backup(output or default_output())
        except BackupError as error:
            raise CommandError(str(error)) from error
        if verbosity >= 2:
            for label, count in manifest["counts"].items():
                self.stdout.write(f"  {label}: {count}")
            self.stdout.write(
                "  "
                + _("media files: %(files)d (%(bytes)d bytes)")
                % {"files": manifest["media"]["files"], "bytes": manifest["media"]["bytes"]}
            )
        if not manifest["media"]["included"]:
            self.stderr.write(
                _(
                    "The uploaded files live in external storage and are not in the archive; "
                    "back them up there."
                )
            )
        self.stdout.write(str(path))
