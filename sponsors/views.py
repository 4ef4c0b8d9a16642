"""Sponsor sign-up and the sponsor's own dashboard."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from huamu.cache import cached_fragment
from huamu.errors import TransitionError
from huamu.mail import mail_language
from huamu.roles import AuthenticatedRequest
from sponsors import navigation
from sponsors.access import get_claim_for_sponsor, get_sponsor_member, sponsor_required
from sponsors.forms import CancelClaimForm, SponsorRegistrationForm
from sponsors.models import Sponsor
from sponsors.registration import register_sponsor
from sponsors.selectors import (
    approved_letters_of,
    claim_counts,
    claims_of,
    claims_with_history,
    hours_of_member,
    upcoming_events_with_signup,
)
from wishes.audit import histories_of
from wishes.claiming.feedback import feedback_page, without_feedback
from wishes.claiming.follow_up import days_overdue
from wishes.claiming.handover import handover_for
from wishes.models import Claim, ClaimStatus, FeedbackRole, GiftReceipt
from wishes.public.selectors import public_wish
from wishes.reports.hours import HoursPeriodForm, total_hours
from wishes.reports.print_views import CertificateYearForm
from wishes.services import cancel_claim as cancel_claim_service
from wishes.services import letter_sharing_consented


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """Sign up a unit or an individual; the new account is logged in, pending verification."""
    if request.user.is_authenticated and get_sponsor_member(request) is not None:
        return redirect("sponsors:dashboard")
    return_to = navigation.return_to(request)
    invitation = navigation.invitation_token(return_to)
    if invitation:
        # Coming from an invitation (through the login page): a colleague signs up to join
        # that unit, not to register a new sponsor.
        return redirect("sponsors:join_signup", token=invitation)
    form = SponsorRegistrationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = register_sponsor(
                **form.registration_data(), language=mail_language(), return_to=return_to
            )
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            login(request, user, backend="huamu.auth.RoleAwareBackend")
            messages.success(request, _("Thank you for signing up! Your account is ready."))
            return redirect("sponsors:dashboard")
    context = {
        "form": form,
        "next": return_to,
        "verify_working_days": settings.HUAMU_VERIFY_WORKING_DAYS,
    }
    return render(request, "sponsors/register.html", context)


# A page of claims stays quick to render and to read on a phone, however many wishes a
# unit has claimed over the years.
CLAIMS_PER_PAGE = 10
# The newest letters shown at the top; older ones stay with their claims.
LATEST_LETTERS = 3


def _page_number(value: str | None) -> int:
    """The page asked for, as a number the paginator can take (the last page if beyond)."""
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


def _claims_and_letters(request: HttpRequest, sponsor: Sponsor, status: str | None) -> str:
    """The dashboard's letters and one page of claims (with their tabs), rendered."""
    counts = claim_counts(sponsor)
    tabs = [(None, _("All"), counts["all"])] + [
        (value, label, counts[value]) for value, label in ClaimStatus.choices
    ]
    paginator = Paginator(claims_of(sponsor, status), CLAIMS_PER_PAGE)
    # Already counted for the tabs: the pages agree with them and need no COUNT query.
    paginator.count = counts[status or "all"]
    page = paginator.get_page(_page_number(request.GET.get("page")))
    letters = list(approved_letters_of(sponsor)[: LATEST_LETTERS + 1])
    context = {
        "sponsor": sponsor,
        "status": status,
        "tabs": tabs,
        "page_obj": page,
        "claims": claims_with_history(sponsor, list(page.object_list)),
        "letters": letters[:LATEST_LETTERS],
        "more_letters": len(letters) > LATEST_LETTERS,
        # Feedback is public data for the cache (its average is on /impact/): giving it
        # drops this fragment, and the prompt goes at once.
        "feedback_wanted": _feedback_wanted(sponsor),
    }
    return render_to_string("sponsors/includes/claims_and_letters.html", context, request)


@require_safe
@sponsor_required
def dashboard(request: HttpRequest, sponsor: Sponsor) -> HttpResponse:
    """The sponsor's verification status, its claims by status with their history, a page
    at a time, and the newest thank-you letters.

    The claims and letters come from the shared cache until one of the sponsor's claims, or
    a photo or letter of one, changes (huamu/cache.py): a sponsor with many claims opens the
    page often.
    """
    status = request.GET.get("status")
    if status not in ClaimStatus.values:
        status = None
    # Keyed by sponsor: the members of one unit share it, nobody else ever sees it.
    markup = cached_fragment(
        "sponsor-claims",
        [
            str(sponsor.pk),
            status or "",
            str(_page_number(request.GET.get("page"))),
            # A claim becomes overdue, and a consent expires (taking its letters and photos
            # along), at midnight without anything changing.
            timezone.localdate().isoformat(),
        ],
        lambda: _claims_and_letters(request, sponsor, status),
        tags=(f"sponsor:{sponsor.pk}",),
    )
    hours = hours_of_member(request.user)  # type: ignore[arg-type]
    # Markup our own template rendered, with autoescaping, on this or an earlier request.
    context = {
        "sponsor": sponsor,
        "member": get_sponsor_member(request),
        # Not cached: a sign-up changes them, and the hours are the member's own.
        "events": upcoming_events_with_signup(sponsor),
        "hours": hours,
        "total_hours": total_hours(hours),
        "hours_form": HoursPeriodForm(),
        "year_form": CertificateYearForm(),
        "claims_and_letters": mark_safe(markup),  # noqa: S308
        "verify_working_days": settings.HUAMU_VERIFY_WORKING_DAYS,
    }
    return render(request, "sponsors/dashboard.html", context)


# The newest fulfilled wishes waiting for the sponsor's feedback that the dashboard names.
FEEDBACK_PROMPTS = 5


def _feedback_wanted(sponsor: Sponsor) -> list[Claim]:
    claims = without_feedback(Claim.objects.filter(sponsor=sponsor), FeedbackRole.SPONSOR)
    return list(
        claims.select_related("wish", "fulfilment").order_by("-fulfilment__fulfilled_on", "-pk")[
            :FEEDBACK_PROMPTS
        ]
    )


@require_http_methods(["GET", "POST"])
@sponsor_required
def feedback(request: AuthenticatedRequest, pk: int, sponsor: Sponsor) -> HttpResponse:
    """The sponsor rates a fulfilled claim of its own (1–5) with a short comment, once."""
    claim = get_claim_for_sponsor(sponsor, pk)
    return feedback_page(
        request, claim, role=FeedbackRole.SPONSOR, back=reverse("sponsors:dashboard")
    )


@require_http_methods(["GET", "POST"])
@sponsor_required
def cancel_claim(request: AuthenticatedRequest, pk: int, sponsor: Sponsor) -> HttpResponse:
    """Ask for a reason, then give an active claim back; the wish returns to the pool."""
    claim = get_claim_for_sponsor(sponsor, pk)
    if claim.status != ClaimStatus.ACTIVE:
        messages.info(request, _("Only an active claim can be cancelled."))
        return redirect("sponsors:dashboard")
    form = CancelClaimForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            cancel_claim_service(
                claim_id=claim.pk, by=request.user, reason=form.cleaned_data["reason"]
            )
        except TransitionError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Your claim of wish %(code)s is cancelled; the wish is waiting again.")
                % {"code": claim.wish.code},
            )
        return redirect("sponsors:dashboard")
    return render(request, "sponsors/cancel_claim.html", {"claim": claim, "form": form})


@require_safe
@sponsor_required
def claim_detail(request: AuthenticatedRequest, pk: int, sponsor: Sponsor) -> HttpResponse:
    """One of the sponsor's claims and what to do next: by when, where to bring the gift
    (the campaign's instructions), what happens after."""
    claim = get_claim_for_sponsor(sponsor, pk)
    context = {
        "claim": claim,
        # The allowlist of the wish, as the public page shows it: never the child's record.
        "wish": public_wish(claim.wish_id),
        "instructions": claim.wish.campaign.sponsor_instructions.strip(),
        "days_overdue": days_overdue(claim) if claim.status == ClaimStatus.ACTIVE else 0,
        # Where and by when to bring the gift; once it arrived, when and with what note.
        "handover": handover_for(claim.wish_id) if claim.status == ClaimStatus.ACTIVE else None,
        "receipt": GiftReceipt.objects.filter(claim=claim).first()
        if claim.status == ClaimStatus.GIFT_RECEIVED
        else None,
        "history": histories_of(Claim, [claim.pk])[claim.pk],
        # Whether the letter's words will reach the sponsor, or only the news of it.
        "letter_shared": letter_sharing_consented(claim.wish.child_id),
    }
    return render(request, "sponsors/claim_detail.html", context)
