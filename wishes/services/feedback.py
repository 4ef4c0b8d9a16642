"""Feedback (评单): the sponsor and the school's coordinator rate a fulfilled claim, once each."""

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from huamu.errors import TransitionError
from huamu.roles import coordinates, sponsor_of
from wishes.audit import record_change
from wishes.models import (
    COMMENT_MAX_LENGTH,
    MAX_RATING,
    MIN_RATING,
    Claim,
    ClaimStatus,
    Feedback,
    FeedbackRole,
    FeedbackState,
)
from wishes.privacy.guard import COMMENT_TEXT, check_text
from wishes.services import locks


def may_give_feedback(user: User, claim: Claim, role: str) -> bool:
    """The sponsor's members rate as the sponsor; the coordinator of the child's school as
    the coordinator. Staff give no feedback of their own."""
    if role == FeedbackRole.SPONSOR:
        sponsor = sponsor_of(user)
        return sponsor is not None and sponsor.pk == claim.sponsor_id
    if role == FeedbackRole.COORDINATOR:
        return coordinates(user, school_id=claim.wish.child.school_id)
    return False


def _already_given() -> TransitionError:
    return TransitionError(_("Feedback on this wish has already been given. Thank you!"))


@transaction.atomic
def give_feedback(
    *, claim_id: int, role: str, rating: int, comment: str = "", by: User
) -> Feedback:
    """Record the rating (1–5) and comment of the sponsor or the coordinator on a fulfilled
    claim; a second one for the same claim and role is refused."""
    claim = locks.lock_claim(claim_id)
    if role not in FeedbackRole.values:
        raise TransitionError(_("Feedback is given by the sponsor or the school's coordinator."))
    if not may_give_feedback(by, claim, role):
        raise TransitionError(_("You cannot give feedback on this wish."))
    if claim.status != ClaimStatus.FULFILLED:
        raise TransitionError(_("Feedback can be given once the wish has been fulfilled."))
    if not isinstance(rating, int) or not MIN_RATING <= rating <= MAX_RATING:
        raise TransitionError(_("Choose a rating from 1 to 5."))
    comment = comment.strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        raise TransitionError(
            _("Keep the comment to %(limit)s characters.") % {"limit": COMMENT_MAX_LENGTH}
        )
    # The claim is locked: a second submit waits here and then finds the first one.
    if Feedback.objects.filter(claim=claim, role=role).exists():
        raise _already_given()
    # Free text a sponsor or coordinator typed, checked as a cancellation's reason is: it
    # may not name the child (staff read it; the year's report and the public see counts).
    check_text(comment, child=claim.wish.child, what=COMMENT_TEXT, contacts=False)
    try:
        with transaction.atomic():
            feedback = Feedback.objects.create(
                claim=claim, role=role, rating=rating, comment=comment, given_by=by
            )
    except IntegrityError:
        # The unique constraint is the last word: one feedback per claim and role.
        raise _already_given() from None
    record_change(subject=feedback, from_status="", to_status=FeedbackState.GIVEN, by=by)
    return feedback
