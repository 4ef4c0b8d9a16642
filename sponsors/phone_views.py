"""Log in, or sign up as a sponsor, with a mobile number and a text-message code; and a
logged-in sponsor's member adds or changes the login phone of their account."""

import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from huamu.errors import TransitionError
from huamu.mail import mail_language
from huamu.net import client_ip
from huamu.phones import mask_phone
from huamu.roles import AuthenticatedRequest
from sponsors import navigation
from sponsors.access import get_sponsor_member, sponsor_required
from sponsors.forms import (
    ColleaguePhoneSignupForm,
    LoginCodeForm,
    MobileNumberForm,
    PhoneSponsorRegistrationForm,
)
from sponsors.models import Sponsor, TeamInvite, VerifiedPhone
from sponsors.phone_login import check_login_code, link_phone, send_login_code, user_with_phone
from sponsors.registration import register_colleague, register_sponsor
from sponsors.teams import check_invite

# The number waiting for its code, and where to go afterwards.
PENDING_KEY = "phone_login"
# A number proved by a code that has no account yet: the phone sign-up may use it.
VERIFIED_KEY = "phone_verified"
# How long a proved number may wait for its sign-up form to be filled in.
SIGN_UP_WITHIN = datetime.timedelta(minutes=30)
# The number a logged-in member is adding as their login phone, waiting for its code.
ADD_PHONE_KEY = "add_login_phone"


def _safe_next(request: HttpRequest) -> str:
    """`next` when it is a page of this site (as Django's LoginView checks it), else ""."""
    wanted = (request.POST.get("next") or request.GET.get("next") or "").strip()
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return ""


def _with_next(name: str, next_url: str) -> str:
    url = reverse(name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


@require_http_methods(["GET", "POST"])
def phone_login(request: HttpRequest) -> HttpResponse:
    """Step 1: the mobile number a code goes to (the same answer for every number)."""
    next_url = _safe_next(request)
    form = MobileNumberForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        try:
            send_login_code(phone=phone, ip_address=client_ip(request), language=mail_language())
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            request.session[PENDING_KEY] = {"phone": phone, "next": next_url}
            return redirect("phone_login_code")
    return render(request, "registration/phone_login.html", {"form": form, "next": next_url})


@require_http_methods(["GET", "POST"])
def phone_login_code(request: HttpRequest) -> HttpResponse:
    """Step 2: the code; then logged in, or on to sign up when the number has no account."""
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return redirect("phone_login")
    phone, next_url = pending["phone"], pending["next"]
    form = LoginCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            check_login_code(phone=phone, code=form.cleaned_data["code"])
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            del request.session[PENDING_KEY]
            return _after_code(request, phone=phone, next_url=next_url)
    new_code_url = reverse("phone_login")
    if next_url:
        new_code_url += "?" + urlencode({"next": next_url})
    context = {
        "form": form,
        "masked_phone": mask_phone(phone),
        "action_url": reverse("phone_login_code"),
        "new_code_url": new_code_url,
    }
    return render(request, "registration/phone_code.html", context)


def _after_code(request: HttpRequest, *, phone: str, next_url: str) -> HttpResponse:
    """Where a proved number leads: its account, the logged-in user's new login phone, or
    the phone sign-up."""
    user = user_with_phone(phone)
    if user is not None:
        login(request, user, backend="huamu.auth.RoleAwareBackend")
        return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    if request.user.is_authenticated:
        try:
            link_phone(user=request.user, phone=phone)
        except TransitionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("From now on you can log in with this number."))
        return redirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))
    request.session[VERIFIED_KEY] = {"phone": phone, "at": timezone.now().isoformat()}
    messages.info(
        request,
        _("Your number is confirmed. No account logs in with it yet: sign up to go on."),
    )
    return redirect(_with_next("sponsors:register_phone", next_url))


def _verified_phone(request: HttpRequest) -> str:
    """The number this visitor proved with a code lately, if it still has no account."""
    verified = request.session.get(VERIFIED_KEY) or {}
    try:
        at = datetime.datetime.fromisoformat(verified["at"])
    except (KeyError, TypeError, ValueError):
        return ""
    if timezone.now() - at > SIGN_UP_WITHIN:
        return ""
    return verified["phone"]


@require_http_methods(["GET", "POST"])
def register_phone(request: HttpRequest) -> HttpResponse:
    """Sign up a unit or an individual with a proved mobile number, no password."""
    if request.user.is_authenticated and get_sponsor_member(request) is not None:
        return redirect("sponsors:dashboard")
    return_to = navigation.return_to(request)
    phone = _verified_phone(request)
    if not phone:
        return redirect(_with_next("phone_login", return_to))
    token = navigation.invitation_token(return_to)
    if token:
        return _join_by_phone(request, token=token, phone=phone)
    form = PhoneSponsorRegistrationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = register_sponsor(
                **form.registration_data(),
                phone=phone,
                login_phone=phone,
                language=mail_language(),
                return_to=return_to,
            )
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            del request.session[VERIFIED_KEY]
            login(request, user, backend="huamu.auth.RoleAwareBackend")
            messages.success(request, _("Thank you for signing up! Your account is ready."))
            return redirect("sponsors:dashboard")
    context = {"form": form, "next": return_to, "masked_phone": mask_phone(phone)}
    return render(request, "sponsors/register_phone.html", context)


def _join_by_phone(request: HttpRequest, *, token: str, phone: str) -> HttpResponse:
    """A colleague invited to a unit signs up with their proved number and asks to join."""
    invite = TeamInvite.objects.select_related("sponsor").filter(token=token).first()
    try:
        check_invite(invite)
    except TransitionError as error:
        return render(request, "sponsors/join.html", {"refused": str(error)}, status=410)
    assert invite is not None  # noqa: S101 (check_invite refuses a missing invitation)
    form = ColleaguePhoneSignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            user = register_colleague(
                token=token,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                login_phone=phone,
            )
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            del request.session[VERIFIED_KEY]
            login(request, user, backend="huamu.auth.RoleAwareBackend")
            return render(request, "sponsors/join_sent.html", {"sponsor": invite.sponsor})
    context = {"form": form, "invite": invite, "masked_phone": mask_phone(phone)}
    return render(request, "sponsors/join_signup_phone.html", context)


def _login_phone_of(user: object) -> VerifiedPhone | None:
    # The request's user arrives with it (huamu.auth.RoleAwareBackend): no query.
    return getattr(user, "verified_phone", None)


@require_http_methods(["GET", "POST"])
@sponsor_required
def add_phone(request: AuthenticatedRequest, sponsor: Sponsor) -> HttpResponse:
    """Step 1 of adding (or changing) the login phone: the number the code goes to."""
    current = _login_phone_of(request.user)
    form = MobileNumberForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        phone = form.cleaned_data["phone"]
        if current is not None and current.phone == phone:
            form.add_error("phone", _("This is already your login phone."))
        else:
            try:
                send_login_code(
                    phone=phone, ip_address=client_ip(request), language=mail_language()
                )
            except TransitionError as error:
                form.add_error(None, str(error))
            else:
                request.session[ADD_PHONE_KEY] = {"phone": phone}
                return redirect("sponsors:add_phone_code")
    context = {
        "form": form,
        "masked_current": mask_phone(current.phone) if current is not None else "",
    }
    return render(request, "sponsors/add_phone.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@sponsor_required
def add_phone_code(request: AuthenticatedRequest, sponsor: Sponsor) -> HttpResponse:
    """Step 2: the code from the text message; then the number is the account's login phone
    (refused, with nothing changed, when it logs in to another account)."""
    pending = request.session.get(ADD_PHONE_KEY)
    if not pending:
        return redirect("sponsors:add_phone")
    phone = pending["phone"]
    form = LoginCodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            check_login_code(phone=phone, code=form.cleaned_data["code"])
        except TransitionError as error:
            form.add_error(None, str(error))
        else:
            del request.session[ADD_PHONE_KEY]
            try:
                link_phone(user=request.user, phone=phone, by=request.user)
            except TransitionError as error:
                messages.error(request, str(error))
                return redirect("sponsors:add_phone")
            messages.success(
                request,
                _("%(phone)s is now your login phone: you can log in with a text-message code.")
                % {"phone": mask_phone(phone)},
            )
            return redirect("sponsors:notifications")
    context = {
        "form": form,
        "masked_phone": mask_phone(phone),
        "action_url": reverse("sponsors:add_phone_code"),
        "new_code_url": reverse("sponsors:add_phone"),
    }
    return render(
        request, "registration/phone_code.html", context, status=400 if form.errors else 200
    )
