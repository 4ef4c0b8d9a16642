"""Where a sign-up page sends the visitor next, shared by the e-mail and the phone sign-up."""

from django.http import HttpRequest
from django.urls import Resolver404, resolve
from django.utils.http import url_has_allowed_host_and_scheme

from sponsors.models import Sponsor


def return_to(request: HttpRequest) -> str:
    """The page the visitor came from (`next`), if it is a path on this site, else ""."""
    wanted = (request.POST.get("next") or request.GET.get("next") or "").strip()
    if (
        not wanted.startswith("/")
        or len(wanted) > Sponsor._meta.get_field("return_to").max_length  # type: ignore[operator]
        or not url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()})
    ):
        return ""
    return wanted


def invitation_token(path: str) -> str:
    """The token of a team invitation if `path` is its page, else ""."""
    try:
        match = resolve(path.split("?", 1)[0])
    except Resolver404:
        return ""
    return match.kwargs["token"] if match.view_name == "sponsors:join" else ""
