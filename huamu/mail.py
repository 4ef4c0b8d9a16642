"""E-mail in the recipient's language, sent only once the transaction has committed.

With a task queue (TASKS_BACKEND=database) a worker sends it (huamu/tasks.py).
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from huamu.tasks import runs_in_background, send_mail_task

logger = logging.getLogger(__name__)


def mail_language() -> str:
    """The language the visitor is reading now, which their e-mail should use too."""
    current = translation.get_language()
    return current if current in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def send_after_commit(
    *,
    to: list[str],
    template: str,
    context: dict,
    language: str | None = None,
    screen: Callable[[str], None] | None = None,
) -> None:
    """Render `mail/<template>_subject.txt` and `_body.txt` now, send them after commit.

    `screen`, if given, sees the rendered subject and body first and may raise to refuse
    the message, and with it the caller's transaction (the privacy guard does so for a
    message that would name a child).
    """
    recipients = [address for address in to if address]
    if not recipients and screen is None:
        return
    language = language or settings.LANGUAGE_CODE
    context = {**context, "site_url": settings.SITE_URL}
    with translation.override(language):
        subject = " ".join(render_to_string(f"mail/{template}_subject.txt", context).split())
        body = render_to_string(f"mail/{template}_body.txt", context)
    if screen is not None:
        # Also without an address: what the message says is shown on the recipient's pages.
        screen(f"{subject}\n{body}")
    if not recipients:
        return

    def _send() -> None:
        try:
            if runs_in_background():
                # A worker sends it: a slow or unreachable mail server never holds a request.
                send_mail_task.enqueue(subject, body, recipients)
                return
            send_mail(
                subject,
                body,
                settings.DEFAULT_FROM_EMAIL,
                recipients,
            )
        except OSError:
            # The state change already committed; a mail outage must not turn it into a 500.
            logger.exception("Could not send %s mail", template)

    transaction.on_commit(_send, robust=True)


def notify_staff(*, template: str, context: dict) -> None:
    """Tell the association's staff mailbox about something that needs their attention."""
    send_after_commit(to=settings.STAFF_NOTIFY_EMAILS, template=template, context=context)
