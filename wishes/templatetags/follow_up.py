"""Template filters for claim follow-up: `{{ claim|due_on }}`, `{{ claim|days_overdue }}`."""

import datetime

from django import template

from wishes.claiming import follow_up
from wishes.models import Claim

register = template.Library()


@register.filter
def due_on(claim: Claim) -> datetime.date | None:
    """The promised date, or the day a claim without one falls due."""
    return follow_up.due_on(claim)


@register.filter
def days_overdue(claim: Claim) -> int:
    """Whole days since the claim's due date passed; 0 when it is not overdue."""
    return follow_up.days_overdue(claim)
