"""Sending a text message as a task: at commit with Django's immediate backend, by a worker
with a task queue, which then retries a provider outage.

With a queue (a task backend that can run tasks later), a message is tried up to
1 + len(SMS_RETRY_DELAYS) times, waiting SMS_RETRY_DELAYS seconds between tries, as long as
the provider's error says trying again may help (`SmsError.retry`). Without one, the message
is sent inside the request that committed, so it is tried once: an outage must not hold a
page for several timeouts. Either way a failure is logged, never raised.
"""

import logging
import time

from django.conf import settings
from django.tasks import task

from huamu.phones import mask_phone
from huamu.sms import SmsError, get_backend, make_message

logger = logging.getLogger("huamu.sms")


def retry_delays() -> list[float]:
    """The seconds to wait before each further try, when a task queue runs the message."""
    if not deliver_sms.get_backend().supports_defer:
        # The immediate backend: we are inside the request.
        return []
    return [float(delay) for delay in settings.SMS_RETRY_DELAYS]


@task
def deliver_sms(*, phone: str, template: str, params: dict[str, str], language: str) -> bool:
    """Send one text message, retrying an outage; True once the provider took it."""
    message = make_message(phone=phone, template=template, params=params, language=language)
    delays = retry_delays()
    for attempt in range(len(delays) + 1):
        try:
            get_backend().send_messages([message])
        except SmsError as error:
            if not error.retry or attempt == len(delays):
                logger.exception(
                    "Could not send the %s text message to %s (try %d)",
                    template,
                    mask_phone(phone),
                    attempt + 1,
                )
                return False
            logger.warning(
                "The %s text message to %s failed (%s); trying again in %s s",
                template,
                mask_phone(phone),
                error,
                delays[attempt],
            )
            time.sleep(delays[attempt])
        else:
            return True
    return False
