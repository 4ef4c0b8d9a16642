"""The built-in SMS backends: print to the console, or keep in memory for the tests."""

import sys
from collections.abc import Sequence

from huamu.phones import mask_phone

from . import SmsMessage


class ConsoleBackend:
    """Write each message to standard output, the number half hidden (as in the logs)."""

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        for message in messages:
            sys.stdout.write(
                f"SMS to {mask_phone(message.phone)} [{message.template}]: {message.text}\n"
            )
        sys.stdout.flush()
        return len(messages)


class LocmemBackend:
    """Append each message to `huamu.sms.outbox`."""

    def send_messages(self, messages: Sequence[SmsMessage]) -> int:
        from huamu import sms

        sms.outbox.extend(messages)
        return len(messages)
