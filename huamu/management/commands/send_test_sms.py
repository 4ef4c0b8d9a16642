"""`manage.py send_test_sms <mobile>`: check that the configured SMS backend delivers."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from huamu.phones import is_mobile, mask_phone, normalise_phone
from huamu.sms import SmsError, send_sms


class Command(BaseCommand):
    @property
    def help(self) -> str:  # type: ignore[override]
        return _("Send one test text message through the configured SMS backend.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("phone", help=_("A mainland China mobile number."))

    def handle(self, *args, phone: str, **options) -> None:
        try:
            number = normalise_phone(phone)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if not is_mobile(number):
            raise CommandError(_("Text messages go to mobile numbers only."))
        try:
            send_sms(phone=number, template="test_message", params={"word": "OK"})
        except SmsError as error:
            raise CommandError(
                _("The SMS provider did not take the message: %(error)s") % {"error": error}
            ) from error
        self.stdout.write(
            _("Sent a test message to %(phone)s through %(backend)s.")
            % {"phone": mask_phone(number), "backend": settings.SMS_BACKEND}
        )
