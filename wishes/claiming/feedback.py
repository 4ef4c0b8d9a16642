"""The feedback page (评单) the sponsor and the school's coordinator each answer once.

One form and one page for both: sponsors/views.py and wishes/school/views.py find the claim
through their own access rules, then hand it here.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from huamu.errors import TransitionError
from huamu.roles import AuthenticatedRequest
from wishes.models import (
    COMMENT_MAX_LENGTH,
    MAX_RATING,
    MIN_RATING,
    Claim,
    ClaimStatus,
    Feedback,
    FeedbackRole,
)
from wishes.privacy.guard import PrivacyRefusal
from wishes.public.selectors import public_wish
from wishes.services import give_feedback

BAD_REQUEST = 400

RATING_MESSAGE = _("Choose a rating from 1 to 5.")


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How did it go? (1 = poorly, 5 = very well)"),
        coerce=int,
        choices=[(value, str(value)) for value in range(MIN_RATING, MAX_RATING + 1)],
        widget=forms.RadioSelect,
        error_messages={"required": RATING_MESSAGE, "invalid_choice": RATING_MESSAGE},
    )
    comment = forms.CharField(
        label=_("A short comment (optional)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": COMMENT_MAX_LENGTH}),
        help_text=_(
            "Only the association's staff read it; it is never shown in public. At most "
            "500 characters."
        ),
    )


def without_feedback(claims: QuerySet[Claim], role: str) -> QuerySet[Claim]:
    """The fulfilled claims among `claims` that have no feedback of `role` yet."""
    given = Feedback.objects.filter(claim=OuterRef("pk"), role=role)
    return claims.filter(status=ClaimStatus.FULFILLED).filter(~Exists(given))


def feedback_page(
    request: AuthenticatedRequest, claim: Claim, *, role: FeedbackRole, back: str
) -> HttpResponse:
    """Ask for the rating and comment once; then thank, and send the user `back`."""
    if claim.status != ClaimStatus.FULFILLED:
        messages.info(request, gettext("Feedback can be given once the wish has been fulfilled."))
        return redirect(back)
    if request.method == "GET" and Feedback.objects.filter(claim=claim, role=role).exists():
        messages.info(request, gettext("Feedback on this wish has already been given. Thank you!"))
        return redirect(back)
    form = FeedbackForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not form.is_valid():
            return _render(request, claim, form, back, status=BAD_REQUEST)
        try:
            give_feedback(
                claim_id=claim.pk,
                role=role,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                by=request.user,
            )
        except PrivacyRefusal as refusal:
            # What was typed stays on the form, with the words to take out marked.
            form.add_error("comment", ValidationError(refusal.as_html()))
            return _render(request, claim, form, back, status=BAD_REQUEST)
        except TransitionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, gettext("Thank you for your feedback!"))
        return redirect(back)
    return _render(request, claim, form, back)


def _render(
    request: AuthenticatedRequest, claim: Claim, form: FeedbackForm, back: str, status: int = 200
) -> HttpResponse:
    context = {
        "claim": claim,
        # The wish as the public page shows it: never the child's record.
        "wish": public_wish(claim.wish_id),
        "form": form,
        "back": back,
    }
    return render(request, "wishes/feedback.html", context, status=status)
