"""The missing-gifts list of the back office, one group of rows per sponsor."""

from dataclasses import dataclass
from itertools import groupby
from typing import Any

from django import template

from sponsors.models import Sponsor

register = template.Library()


@dataclass(frozen=True)
class SponsorGroup:
    sponsor: Sponsor
    rows: list[Any]


@register.simple_tag
def sponsor_groups(cl: Any, results: list[Any]) -> list[SponsorGroup]:
    """The changelist's rows (`results`, in the order of `cl.result_list`) grouped by the
    sponsor of each missing gift; the list is already ordered by sponsor."""
    pairs = zip(cl.result_list, results, strict=True)
    return [
        SponsorGroup(sponsor=sponsor, rows=[row for _, row in group])
        for sponsor, group in groupby(pairs, key=lambda pair: pair[0].sponsor)
    ]
