"""A unit's team pages: members, invitations and join requests, handing claims on, and the
administrator's downloads (the yearly certificate, the list of fulfilled wishes)."""

import csv
import io
from collections.abc import Callable

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from openpyxl import Workbook

from huamu.errors import TransitionError
from huamu.roles import AuthenticatedRequest, display_name_of
from sponsors import teams
from sponsors.access import (
    administrator_required,
    get_claim_for_sponsor,
    get_invite_for_sponsor,
    get_join_request_for_sponsor,
    get_member_of_sponsor,
    get_sponsor_member,
    team_required,
)
from sponsors.forms import ColleagueSignupForm, InviteForm, ReassignClaimForm
from sponsors.models import MemberRole, Sponsor, SponsorMember, TeamInvite
from sponsors.registration import register_colleague
from sponsors.selectors import FULFILLED_COLUMNS, fulfilled_wishes_of, team_of
from wishes.reports.certificates import certificate_numbers, certificates_pdf
from wishes.reports.exports import XLSX_CONTENT_TYPE, neutralise
from wishes.reports.pdf import PDF_CONTENT_TYPE, FontMissing
from wishes.reports.print_views import CertificateYearForm, download
from wishes.services import reassign_claim


def _team_page(request: HttpRequest) -> HttpResponse:
    return redirect("sponsors:team")


def _act(request: HttpRequest, action: Callable[[], object], done: str) -> HttpResponse:
    """Run one team service; say what happened, or why it was refused; back to the team."""
    try:
        action()
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return _team_page(request)


@require_safe
@team_required
def team(request: AuthenticatedRequest, sponsor: Sponsor, member: SponsorMember) -> HttpResponse:
    """The unit's members; administrators also answer requests, invite, hand claims on."""
    context = {
        "sponsor": sponsor,
        "me": member,
        "team": team_of(sponsor, member=member),
        "invite_form": InviteForm(),
        "reassign_form": ReassignClaimForm(sponsor=sponsor),
    }
    return render(request, "sponsors/team.html", context)


def _administrator(view):
    """A team view for the unit's administrators: a plain member gets a 403."""

    def wrapper(request, *args, member: SponsorMember, **kwargs):
        if not member.is_administrator:
            return render(request, "sponsors/not_an_administrator.html", status=403)
        return view(request, *args, member=member, **kwargs)

    wrapper.__doc__ = view.__doc__
    wrapper.__name__ = view.__name__
    return wrapper


@require_POST
@team_required
@_administrator
def create_invite(
    request: AuthenticatedRequest, sponsor: Sponsor, member: SponsorMember
) -> HttpResponse:
    """Make a new invitation link and show it with its QR code."""
    form = InviteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please choose how long the invitation is valid."))
        return _team_page(request)
    try:
        invite = teams.create_invite(
            sponsor_id=sponsor.pk,
            by=request.user,
            days=form.cleaned_data["days"],
            note=form.cleaned_data["note"],
        )
    except TransitionError as error:
        messages.error(request, str(error))
        return _team_page(request)
    return redirect("sponsors:invite", pk=invite.pk)


def invite_url(invite: TeamInvite) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("sponsors:join", args=[invite.token])


@require_safe
@team_required
@_administrator
def invite_detail(
    request: AuthenticatedRequest, pk: int, sponsor: Sponsor, member: SponsorMember
) -> HttpResponse:
    """An invitation's link and QR code, to send or show to one colleague."""
    invite = get_invite_for_sponsor(sponsor, pk)
    url = invite_url(invite)
    # segno writes plain SVG markup: no script, no style attribute (the CSP allows it).
    qr = segno.make(url, error="m").svg_inline(scale=5, title=_("QR code of the invitation"))
    context = {"invite": invite, "url": url, "qr": mark_safe(qr)}  # noqa: S308
    return render(request, "sponsors/invite.html", context)


@require_POST
@team_required
@_administrator
def revoke_invite(
    request: AuthenticatedRequest, pk: int, sponsor: Sponsor, member: SponsorMember
) -> HttpResponse:
    """Withdraw an invitation that has not been used yet."""
    invite = get_invite_for_sponsor(sponsor, pk)
    return _act(
        request,
        lambda: teams.revoke_invite(invite_id=invite.pk, by=request.user),
        _("The invitation is withdrawn; its link no longer works."),
    )


@require_POST
@team_required
@_administrator
def answer_request(
    request: AuthenticatedRequest, pk: int, answer: str, sponsor: Sponsor, member: SponsorMember
) -> HttpResponse:
    """Approve or refuse a colleague's request to join."""
    if answer not in ("approve", "refuse"):
        raise Http404
    join = get_join_request_for_sponsor(sponsor, pk)
    name = display_name_of(join.user)
    if answer == "approve":
        return _act(
            request,
            lambda: teams.approve_join_request(request_id=join.pk, by=request.user),
            _("%(name)s has joined the team.") % {"name": name},
        )
    return _act(
        request,
        lambda: teams.refuse_join_request(request_id=join.pk, by=request.user),
        _("You have refused the request of %(name)s.") % {"name": name},
    )


@require_POST
@team_required
@_administrator
def change_member(
    request: AuthenticatedRequest, pk: int, change: str, sponsor: Sponsor, member: SponsorMember
) -> HttpResponse:
    """Remove a member, make them an administrator too or a plain member again, or pass
    them your administrator role."""
    other = get_member_of_sponsor(sponsor, pk)
    name = other.display_name
    by = request.user
    actions: dict[str, tuple[Callable[[], object], str]] = {
        "remove": (
            lambda: teams.remove_member(member_id=other.pk, by=by),
            _("%(name)s is no longer a member of the team."),
        ),
        "administrator": (
            lambda: teams.set_member_role(
                member_id=other.pk, role=MemberRole.ADMINISTRATOR, by=by
            ),
            _("%(name)s is now an administrator of the unit."),
        ),
        "member": (
            lambda: teams.set_member_role(member_id=other.pk, role=MemberRole.MEMBER, by=by),
            _("%(name)s is now a member without the administrator role."),
        ),
        "pass": (
            lambda: teams.pass_administrator_role(member_id=other.pk, by=by),
            _("%(name)s is now the unit's administrator; you are a member of the team."),
        ),
    }
    if change not in actions:
        raise Http404
    action, done = actions[change]
    return _act(request, action, done % {"name": name})


@require_POST
@team_required
def leave_team(
    request: AuthenticatedRequest, sponsor: Sponsor, member: SponsorMember
) -> HttpResponse:
    """Leave the unit's team (its last administrator passes the role on first)."""
    try:
        teams.remove_member(member_id=member.pk, by=request.user)
    except TransitionError as error:
        messages.error(request, str(error))
        return _team_page(request)
    messages.success(request, _("You have left the team of %(name)s.") % {"name": sponsor.name})
    return redirect("home")


@require_POST
@team_required
@_administrator
def reassign(
    request: AuthenticatedRequest, pk: int, sponsor: Sponsor, member: SponsorMember
) -> HttpResponse:
    """Hand one of the unit's active claims to another member of the team."""
    claim = get_claim_for_sponsor(sponsor, pk)
    form = ReassignClaimForm(request.POST, sponsor=sponsor)
    if not form.is_valid():
        messages.error(request, _("Choose a member of the unit's team."))
        return _team_page(request)
    chosen = form.cleaned_data["member"]
    return _act(
        request,
        lambda: reassign_claim(claim_id=claim.pk, to_user_id=chosen.user_id, by=request.user),
        _("Wish %(code)s is now fulfilled by %(name)s.")
        % {"code": claim.wish.code, "name": chosen.display_name},
    )


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, token: str) -> HttpResponse:
    """An invitation's page: log in or sign up, then ask to join the unit."""
    invite = TeamInvite.objects.select_related("sponsor").filter(token=token).first()
    try:
        teams.check_invite(invite)
    except TransitionError as error:
        return render(request, "sponsors/join.html", {"refused": str(error)}, status=410)
    assert invite is not None  # noqa: S101 (check_invite refuses a missing invitation)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('login')}?next={request.path}")
        try:
            teams.request_to_join(token=token, user=request.user)
        except TransitionError as error:
            messages.error(request, str(error))
            return redirect(request.path)
        return render(request, "sponsors/join_sent.html", {"sponsor": invite.sponsor})
    context = {"invite": invite, "sponsor": invite.sponsor, "member": get_sponsor_member(request)}
    return render(request, "sponsors/join.html", context)


@require_http_methods(["GET", "POST"])
def join_signup(request: HttpRequest, token: str) -> HttpResponse:
    """Create an account through an invitation; the join request goes with it."""
    invite = TeamInvite.objects.select_related("sponsor").filter(token=token).first()
    try:
        teams.check_invite(invite)
    except TransitionError as error:
        return render(request, "sponsors/join.html", {"refused": str(error)}, status=410)
    assert invite is not None  # noqa: S101 (check_invite refuses a missing invitation)
    if request.user.is_authenticated:
        return redirect("sponsors:join", token=token)
    form = ColleagueSignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = register_colleague(
                token=token,
                name=data["name"],
                username=data["username"],
                email=data["email"],
                password=data["password1"],
            )
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            login(request, user, backend="huamu.auth.RoleAwareBackend")
            return render(request, "sponsors/join_sent.html", {"sponsor": invite.sponsor})
    return render(request, "sponsors/join_signup.html", {"form": form, "invite": invite})


def _year(request: HttpRequest) -> int | None:
    form = CertificateYearForm(request.GET)
    return form.cleaned_data["year"] if form.is_valid() else None


@require_safe
@administrator_required
def certificate(request: AuthenticatedRequest, sponsor: Sponsor) -> HttpResponse:
    """The sponsor's thank-you certificate (感谢状) for a year, as a PDF."""
    year = _year(request)
    if year is None:
        raise Http404
    numbers = certificate_numbers(sponsor, year)
    if numbers.is_empty:
        messages.info(
            request,
            _("No wish was fulfilled in %(year)s: there is no certificate.") % {"year": year},
        )
        return redirect("sponsors:dashboard")
    try:
        pdf = certificates_pdf([(sponsor, numbers)])
    except FontMissing as error:
        messages.error(request, str(error))
        return redirect("sponsors:dashboard")
    return download(pdf, PDF_CONTENT_TYPE, f"thank-you-certificate-{year}.pdf")


@require_safe
@administrator_required
def fulfilled_list(request: AuthenticatedRequest, sponsor: Sponsor) -> HttpResponse:
    """The sponsor's fulfilled wishes (all, or a year's) as CSV, or .xlsx with
    `?format=xlsx`: by alias, never more."""
    year = _year(request) if request.GET.get("year") else None
    headers = {
        "code": _("Wish"),
        "alias": _("Alias"),
        "category": _("Category"),
        "fulfilled_on": _("Fulfilled on"),
        "event": _("Event"),
        "member": _("Fulfilled by"),
    }
    rows = [[headers[column] for column in FULFILLED_COLUMNS]]
    for claim in fulfilled_wishes_of(sponsor, year):
        fulfilment = claim.fulfilment
        rows.append(
            [
                claim.wish.code,
                claim.wish.child.alias,
                claim.wish.get_category_display(),
                fulfilment.fulfilled_on.isoformat(),
                fulfilment.event.title if fulfilment.event else "",
                display_name_of(claim.member) if claim.member else "",
            ]
        )
    # Event titles and names are typed by people: never let a spreadsheet run them.
    rows = [[neutralise(str(value)) for value in row] for row in rows]
    name = f"fulfilled-wishes-{year}" if year else "fulfilled-wishes"
    if request.GET.get("format") == "xlsx":
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None  # noqa: S101 (a new workbook has its sheet)
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return download(buffer.getvalue(), XLSX_CONTENT_TYPE, f"{name}.xlsx")
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    # A BOM, so that Excel (as used in most offices here) reads the Chinese correctly.
    content = ("\ufeff" + text.getvalue()).encode("utf-8")
    return download(content, "text/csv; charset=utf-8", f"{name}.csv")
