"""Errors shared by the apps' services."""

from django.utils.html import escape
from django.utils.safestring import SafeString


class TransitionError(Exception):
    """A state change was refused; the message is translated and safe to show."""

    def as_html(self) -> SafeString:
        """The refusal for an HTML page; a subclass may mark up what it found."""
        return escape(str(self))
