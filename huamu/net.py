"""Where a request comes from."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address; trusts X-Forwarded-For only behind our own proxy."""
    # Behind our reverse proxy REMOTE_ADDR is the proxy, which appends the client to
    # X-Forwarded-For; without one, the header is the client's own words and is ignored.
    address = request.META.get("REMOTE_ADDR", "")
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        address = forwarded or address
    return address or None
