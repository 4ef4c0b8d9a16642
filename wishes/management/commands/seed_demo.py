"""`manage.py seed_demo`: fictitious demo data, and the table of demo logins."""

import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models
from django.db.models import Count
from django.test.utils import override_settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sponsors.models import Sponsor
from wishes.management.demo.cast import DEMO_LOGINS, DEMO_PASSWORD
from wishes.management.demo.loading import load_demo_data
from wishes.models import (
    Campaign,
    Child,
    Claim,
    Event,
    Fulfilment,
    School,
    StatusChange,
    ThankYouLetter,
    Wish,
    WishStatus,
)

__all__ = ["DEMO_PASSWORD", "Command"]

DUMMY_MAIL = "django.core.mail.backends.dummy.EmailBackend"


def _summary_models() -> list[type[models.Model]]:
    return [
        School,
        Campaign,
        Sponsor,
        get_user_model(),
        Child,
        Wish,
        Claim,
        Fulfilment,
        ThankYouLetter,
        Event,
        StatusChange,
    ]


def _counts() -> dict[type[models.Model], int]:
    return {model: model._default_manager.count() for model in _summary_models()}


@contextmanager
def _quiet_mail() -> Iterator[None]:
    """Send the services' notifications nowhere: the demo addresses have no mailbox."""
    # MAILERS, not the deprecated EMAIL_BACKEND: this works whichever the settings use.
    with override_settings(MAILERS={"default": {"BACKEND": DUMMY_MAIL}}):
        yield


def _width(text: str) -> int:
    """Columns a terminal gives `text`: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


class Command(BaseCommand):
    # A property, not a lazy string: argparse needs a real str, in the active language.
    @property
    def help(self) -> str:  # type: ignore[override]
        return _(
            "Load fictitious demo data through the real services; safe to run again. "
            "With --logins, only print the demo logins."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--logins",
            action="store_true",
            help=_("Only print the demo logins; change nothing."),
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help=_(
                "Load the demo data even with DEBUG off. Never on a real site: "
                "the demo password is public."
            ),
        )

    def handle(self, *args, logins: bool, force: bool, **options) -> None:
        """Print the logins, or load what is missing and print what the database holds."""
        if logins:
            self.write_logins()
            return
        if not (settings.DEBUG or getattr(settings, "TESTING", False) or force):
            raise CommandError(
                _(
                    "DEBUG is off: this looks like a real site, and the demo accounts have a "
                    "public password. Use --force if you really mean it."
                )
            )
        before = _counts()
        with _quiet_mail():
            load_demo_data()
        after = _counts()
        self.write_summary(added=sum(after.values()) - sum(before.values()), counts=after)

    def write_summary(self, *, added: int, counts: dict[type[models.Model], int]) -> None:
        if added:
            message = ngettext(
                "Demo data is ready; %(added)d record was added.",
                "Demo data is ready; %(added)d records were added.",
                added,
            )
            self.stdout.write(message % {"added": added})
        else:
            self.stdout.write(_("Demo data is ready; it was all there already."))
        for model, count in counts.items():
            self.stdout.write(f"  {model._meta.verbose_name_plural}: {count}")
        by_status = dict(Wish.objects.order_by().values_list("status").annotate(n=Count("pk")))
        states = [f"{label} {by_status.get(value, 0)}" for value, label in WishStatus.choices]
        self.stdout.write("  " + ", ".join(states))

    def write_logins(self) -> None:
        self.stdout.write(
            _("Demo logins (every password is %(password)s):") % {"password": DEMO_PASSWORD}
        )
        header = [_("role"), _("username"), _("password"), _("what to try")]
        rows = [
            [str(login.role), login.username, DEMO_PASSWORD, str(login.hint)]
            for login in DEMO_LOGINS
        ]
        # The last column is free text, so only the first three are padded.
        widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(3)]
        for row in [header, *rows]:
            cells = [_pad(row[i], widths[i]) for i in range(3)]
            self.stdout.write("  " + "  ".join([*cells, row[3]]))
