"""What the spreadsheet import reports: problems by row and column, and their messages.

Problems are stored untranslated (message id and parameters) and translated when shown, so
a check run by a background worker reads right in the language of whoever looks at it. The
messages of the file as a whole are in wishes/importing/reader.py.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext, gettext_noop

from huamu.phones import INVALID_PHONE

MISSING_COLUMN = gettext_noop("This column is missing from the header row.")
DUPLICATE_COLUMN = gettext_noop("This column appears twice in the header row.")
REQUIRED = gettext_noop("This cell must be filled in.")
TOO_LONG = gettext_noop("Too long: at most %(max)d characters.")
UNKNOWN_SCHOOL = gettext_noop(
    "Unknown school “%(value)s”: write the name of a school in the back office exactly."
)
UNKNOWN_REGION = gettext_noop(
    "Unknown region “%(value)s”: write the name of a region in the back office exactly."
)
NOT_ONE_OF = gettext_noop("“%(value)s” is not allowed here; write one of: %(allowed)s.")
NOT_WHOLE_NUMBER = gettext_noop("Write a whole number from %(min)d to %(max)d.")
BAD_PHONE = INVALID_PHONE
BAD_DATE = gettext_noop("“%(value)s” is not a date; write it like 2026-03-01.")
FUTURE_DATE = gettext_noop("The date is in the future.")
BAD_AMOUNT = gettext_noop("Write an amount in yuan from 0 to 999999.99, e.g. 120 or 85.5.")
CONSENT_DATE_NEEDED = gettext_noop("The date of the consent is needed when consent was given.")
SCOPE_WITHOUT_CONSENT = gettext_noop(
    "The guardian has not consented, so this cannot be yes; the child's wish stays private."
)
SAME_CHILD_TWICE = gettext_noop(
    "The same child (school, name and birth year) is already in row %(row)d."
)
EXAMPLE_LEFT_IN = gettext_noop("This is the template's example row: delete it.")
IMPORT_FAILED = gettext_noop(
    "The import stopped on an unexpected error; nothing was imported. Try again, or tell "
    "the site's administrator."
)


@dataclass(frozen=True)
class Problem:
    """One problem: the row as numbered in the spreadsheet, the column's header, the message."""

    row: int | None
    column: str
    message: str
    params: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "row": self.row,
            "column": self.column,
            "message": self.message,
            "params": self.params,
        }


def problem_text(problem: dict) -> str:
    """The translated message of a stored problem."""
    message = gettext(problem["message"])
    params = problem.get("params")
    return message % params if params else message


class ImportFileError(Exception):
    """The file as a whole cannot be read; carries an untranslated message id."""

    def __init__(self, message: str, **params) -> None:
        super().__init__(message)
        self.problem = Problem(None, "", message, params)

    @property
    def text(self) -> str:
        return problem_text(self.problem.as_json())


class CellError(Exception):
    def __init__(self, message: str, **params) -> None:
        super().__init__(message)
        self.message = message
        self.params = params
