"""Errors shared by the apps' services."""


class TransitionError(Exception):
    """A state change was refused; the message is translated and safe to show."""
