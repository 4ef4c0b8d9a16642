"""Text messages (SMS) through a configurable backend, the way Django sends e-mail.

`SMS_BACKEND` names the backend: `console` (the default: prints each message, so `make run`
needs nothing), `locmem` (keeps messages in `huamu.sms.outbox`; the tests use it) or the dotted
path of a class with `send_messages(messages) -> int`. A provider's adapter (its own SDK,
configured from the environment) is such a class.

Providers in mainland China send only templates approved in advance, filled with parameters.
So a message here is a template *name* with parameters: `templates/sms/<name>.txt` renders the
text that console and locmem show and that a provider's template must say, and the provider's
adapter maps the name to its template id (`SMS_TEMPLATE_IDS`). A template's first line may
say the order of its parameters, `{# params: code count #}`, for providers that fill a
template's {1}, {2}… by position.

`send_sms_after_commit` hands the message to the task `huamu.sms.tasks.deliver_sms` once the
transaction commits: with Django's immediate task backend (the default) it is sent then, with
a task queue a worker sends it and retries a provider outage (huamu/sms/tasks.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.template.loader import get_template, render_to_string
from django.utils import translation
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

_PARAMS_LINE = re.compile(r"\{#\s*params:\s*([\w\s]*?)\s*#\}")

# Filled by the locmem backend; the tests empty it between tests.
outbox: list[SmsMessage] = []

_ALIASES = {
    "console": "huamu.sms.backends.ConsoleBackend",
    "locmem": "huamu.sms.backends.LocmemBackend",
    "tencent": "huamu.sms.tencent.TencentBackend",
}


class SmsError(Exception):
    """The provider refused or could not be reached; the message was not sent.

    `retry` says whether trying again later may help (an outage, a timeout, a rate limit),
    not a refusal of the number, the template or the credentials.
    """

    def __init__(self, message: str, *, retry: bool = False) -> None:
        super().__init__(message)
        self.retry = retry


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


def make_message(
    *, phone: str, template: str, params: Mapping[str, str] | None = None, language: str = ""
) -> SmsMessage:
    """The message as it will be sent; a missing or broken template fails here."""
    message = SmsMessage(
        phone=phone,
        template=template,
        params={key: str(value) for key, value in (params or {}).items()},
        language=language or translation.get_language() or settings.LANGUAGE_CODE,
    )
    message.text  # noqa: B018  (render now, before anything reaches the provider)
    return message


def template_params(template: str) -> list[str]:
    """The parameter names of a template in the order its first line gives (`{# params: a b
    #}`), for providers that fill {1}, {2}… by position; [] if it says none."""
    source = get_template(f"sms/{template}.txt").template.source  # type: ignore[attr-defined]
    found = _PARAMS_LINE.search(source.split("\n", 1)[0])
    return found.group(1).split() if found else []


def send_sms(
    *, phone: str, template: str, params: Mapping[str, str] | None = None, language: str = ""
) -> None:
    """Send one message now; raise `SmsError` when the provider does not take it."""
    message = make_message(phone=phone, template=template, params=params, language=language)
    get_backend().send_messages([message])


def send_sms_after_commit(
    *, phone: str, template: str, params: Mapping[str, str] | None = None, language: str = ""
) -> None:
    """Send once the transaction commits, through the task queue if one is configured; an
    outage is logged (and retried by a queue), never turned into an error."""
    if not phone:
        return
    message = make_message(phone=phone, template=template, params=params, language=language)

    def _enqueue() -> None:
        from huamu.sms.tasks import deliver_sms

        deliver_sms.enqueue(
            phone=message.phone,
            template=message.template,
            params=dict(message.params),
            language=message.language,
        )

    transaction.on_commit(_enqueue, robust=True)
