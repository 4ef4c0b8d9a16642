"""Text messages (SMS) through a configurable backend, the way Django sends e-mail.

`SMS_BACKEND` names the backend: `console` (the default: prints each message, so `make run`
needs nothing), `locmem` (keeps messages in `huamu.sms.outbox`; the tests use it) or the dotted
path of a class with `send_messages(messages) -> int`. A provider's adapter (its own SDK,
configured from the environment) is such a class.

Providers in mainland China send only templates approved in advance, filled with parameters.
So a message here is a template *name* with parameters: `templates/sms/<name>.txt` renders the
text that console and locmem show and that a provider's template must say, and the provider's
adapter maps the name to its template id (`SMS_TEMPLATE_IDS`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

# Filled by the locmem backend; the tests empty it between tests.
outbox: list[SmsMessage] = []

_ALIASES = {
    "console": "huamu.sms.backends.ConsoleBackend",
    "locmem": "huamu.sms.backends.LocmemBackend",
}


class SmsError(Exception):
    """The provider refused or could not be reached; the message was not sent."""


@dataclass(frozen=True)
class SmsMessage:
    """One text message: to a mainland number (`+86…`), a template name and its parameters."""

    phone: str
    template: str
    params: Mapping[str, str] = field(default_factory=dict)
    language: str = ""

    @property
    def text(self) -> str:
        """What the message says, rendered from `templates/sms/<template>.txt`."""
        with translation.override(self.language or settings.LANGUAGE_CODE):
            return " ".join(
                render_to_string(f"sms/{self.template}.txt", dict(self.params)).split()
            )


class SmsBackend(Protocol):
    """What a backend offers: send the messages, return how many were taken."""

    def send_messages(self, messages: Sequence[SmsMessage]) -> int: ...


def get_backend() -> SmsBackend:
    """The configured backend, a fresh instance each call."""
    path = getattr(settings, "SMS_BACKEND", "console") or "console"
    return import_string(_ALIASES.get(path, path))()


def send_sms(
    *, phone: str, template: str, params: Mapping[str, str] | None = None, language: str = ""
) -> None:
    """Send one message now; raise `SmsError` when the provider does not take it."""
    message = SmsMessage(
        phone=phone,
        template=template,
        params={key: str(value) for key, value in (params or {}).items()},
        language=language or translation.get_language() or settings.LANGUAGE_CODE,
    )
    message.text  # noqa: B018  (a missing or broken template fails here, before the provider)
    get_backend().send_messages([message])


def send_sms_after_commit(
    *, phone: str, template: str, params: Mapping[str, str] | None = None, language: str = ""
) -> None:
    """Send once the transaction commits; an outage is logged, never turned into an error."""
    if not phone:
        return

    def _send() -> None:
        try:
            send_sms(phone=phone, template=template, params=params, language=language)
        except SmsError:
            logger.exception("Could not send the %s text message", template)

    transaction.on_commit(_send, robust=True)
