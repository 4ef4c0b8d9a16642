"""Checking rows: every row of a table cleaned, and matched with what is already recorded.

A valid row becomes a Row with its cleaned values; the same child (school, real name, birth
year) twice in a file is a problem, and a child already recorded, its wish in the campaign
or its consent are found so that importing a file again creates nothing new.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wishes.importing.cells import CLEANERS, Lookups
from wishes.importing.columns import (
    COLUMN_BY_KEY,
    COLUMNS,
    CONSENT_SCOPES,
    EXAMPLE_ROW,
    columns_of,
)
from wishes.importing.problems import (
    CONSENT_DATE_NEEDED,
    EXAMPLE_LEFT_IN,
    SAME_CHILD_TWICE,
    SCOPE_WITHOUT_CONSENT,
    CellError,
    Problem,
)
from wishes.importing.reader import Table
from wishes.models import Campaign, Child, Consent, Wish
from wishes.privacy.aliases import neutral_alias

# Rows shown in the preview of what will be imported.
PREVIEW_ROWS = 50


@dataclass
class Row:
    """One valid row, cleaned, and what is already in the database for it."""

    number: int
    data: dict[str, Any]
    child: Child | None = None
    wish_exists: bool = False
    consent_exists: bool = False

    @property
    def key(self) -> tuple:
        return (self.data["school"].pk, self.data["real_name"], self.data["birth_year"])


@dataclass
class Check:
    """The valid rows of a table, and the problems of the others."""

    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "rows": len(self.rows),
            "children_new": sum(row.child is None for row in self.rows),
            "children_existing": sum(row.child is not None for row in self.rows),
            "wishes_new": sum(not row.wish_exists for row in self.rows),
            "wishes_existing": sum(row.wish_exists for row in self.rows),
            "consents_new": sum(
                row.data["consent"] and not row.consent_exists for row in self.rows
            ),
        }

    def preview(self) -> list[dict]:
        return [
            {
                "row": row.number,
                "alias": row.data["alias"],
                "school": row.data["school"].name,
                "grade": row.data["grade"],
                "category": row.data["category"],
                "child_exists": row.child is not None,
                "wish_exists": row.wish_exists,
            }
            for row in self.rows[:PREVIEW_ROWS]
        ]


def _check_row(
    number: int, values: tuple, positions: dict[str, int], lookups: Lookups
) -> tuple[dict, list[Problem]]:
    data: dict[str, Any] = {}
    problems = []
    for column in COLUMNS:
        index = positions.get(column.key)
        value = values[index] if index is not None and index < len(values) else None
        try:
            data[column.key] = CLEANERS[column.key](value, lookups)
        except CellError as error:
            problems.append(Problem(number, column.header, error.message, error.params))
    if problems:
        return data, problems
    if data["consent"] and data["consent_date"] is None:
        problems.append(Problem(number, COLUMN_BY_KEY["consent_date"].header, CONSENT_DATE_NEEDED))
    if not data["consent"]:
        problems += [
            Problem(number, COLUMN_BY_KEY[scope].header, SCOPE_WITHOUT_CONSENT)
            for scope in CONSENT_SCOPES
            if data[scope]
        ]
    if (data["real_name"], data["guardian_phone"]) == (
        EXAMPLE_ROW["real_name"],
        EXAMPLE_ROW["guardian_phone"],
    ):
        problems.append(Problem(number, COLUMN_BY_KEY["real_name"].header, EXAMPLE_LEFT_IN))
    data["alias"] = data["alias"] or neutral_alias(real_name=data["real_name"])
    data["home_region"] = data["home_region"] or data["school"].region
    return data, problems


# Rows are matched with the database this many at a time: four queries per batch of rows.
MATCH_BATCH_ROWS = 500


def _match_existing(rows: list[Row], campaign: Campaign) -> None:
    """Find the children already recorded and the wishes they already have in the campaign."""
    for start in range(0, len(rows), MATCH_BATCH_ROWS):
        _match_batch(rows[start : start + MATCH_BATCH_ROWS], campaign)


def _match_batch(rows: list[Row], campaign: Campaign) -> None:
    children: dict[tuple, Child] = {}
    candidates = (
        Child.objects.active()
        .filter(
            school_id__in={row.data["school"].pk for row in rows},
            real_name__in={row.data["real_name"] for row in rows},
        )
        .select_related("school")
        .order_by("pk")
    )
    for child in candidates:
        children.setdefault((child.school_id, child.real_name, child.birth_year), child)
    ids = [child.pk for child in children.values()]
    with_wish = set(
        Wish.objects.filter(campaign=campaign, child_id__in=ids).values_list("child_id", flat=True)
    )
    with_consent = set(
        Consent.objects.in_force().filter(child_id__in=ids).values_list("child_id", flat=True)
    )
    # The same form imported again is not a new consent, even once it has expired; a form
    # signed on another day after that one expired is (a renewal).
    same_form = set(
        Consent.objects.filter(child_id__in=ids, withdrawn_at__isnull=True).values_list(
            "child_id", "given_on"
        )
    )
    for row in rows:
        row.child = children.get(row.key)
        if row.child is not None:
            row.wish_exists = row.child.pk in with_wish
            row.consent_exists = (
                row.child.pk in with_consent
                or (row.child.pk, row.data["consent_date"]) in same_form
            )


def check_table(
    table: Table, *, campaign: Campaign, progress: Callable[[int], None] = lambda done: None
) -> Check:
    """Check every row of a table; rows with a problem are left out of `rows`."""
    positions, header_problems = columns_of(table.header)
    check = Check(problems=header_problems)
    if header_problems:
        return check
    lookups = Lookups.load()
    first_row_of: dict[tuple, int] = {}
    for done, (number, values) in enumerate(table.rows, start=1):
        data, problems = _check_row(number, values, positions, lookups)
        if not problems:
            row = Row(number, data)
            if row.key in first_row_of:
                problems.append(
                    Problem(
                        number,
                        COLUMN_BY_KEY["real_name"].header,
                        SAME_CHILD_TWICE,
                        {"row": first_row_of[row.key]},
                    )
                )
            else:
                first_row_of[row.key] = number
                check.rows.append(row)
        check.problems += problems
        progress(done)
    _match_existing(check.rows, campaign)
    return check
