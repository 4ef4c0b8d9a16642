"""`manage.py import_platform_claims FILE`: record claims made on the city platform."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from wishes.city_platform.inbound import (
    PlatformFileError,
    import_platform_claims,
    read_platform_claims,
)


class Command(BaseCommand):
    help = (
        "Record the claims other centres made on the city platform, from a .json or .csv "
        "file (docs/feed.md). Each row is recorded, already recorded, or refused with a "
        "reason; the command exits with status 1 if any row was refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The .json or .csv file of claims.")
        parser.add_argument(
            "--by", metavar="USERNAME", help="The staff user recorded in the claims' history."
        )

    def handle(self, *args, file: Path, by: str | None, **options) -> None:
        """Read the file, record each row, print a line per row and a summary."""
        user = None
        if by:
            user = get_user_model().objects.filter(username=by).first()
            if user is None:
                raise CommandError(_("There is no user %(name)s.") % {"name": by})
        try:
            rows = read_platform_claims(file.read_bytes(), name=file.name)
        except OSError as error:
            raise CommandError(str(error)) from None
        except PlatformFileError as error:
            raise CommandError(str(error)) from None
        report = import_platform_claims(rows=rows, by=user)
        for result in report.results:
            line = _("row %(row)d · %(code)s · %(ref)s: %(message)s") % {
                "row": result.number,
                "code": result.wish_code or "—",
                "ref": result.external_ref or "—",
                "message": result.message,
            }
            self.stdout.write(self.style.ERROR(line) if result.refused else line)
        if report.refused:
            raise CommandError(report.summary)
        self.stdout.write(self.style.SUCCESS(report.summary))
