"""Recording who looked at a child's record, photo or letter."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest

from wishes.models import AccessAction, AccessLog


def _client_address(request: HttpRequest) -> str | None:
    # Behind our reverse proxy REMOTE_ADDR is the proxy, which passes the client on; without
    # one, the header is the client's own words and is ignored.
    address = request.META.get("REMOTE_ADDR", "")
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        address = forwarded or address
    return address or None


def log_access(request: HttpRequest, *, action: AccessAction, subject: models.Model) -> None:
    """Write one AccessLog row; the path holds ids only, never a child's name."""
    user = request.user if request.user.is_authenticated else None
    AccessLog.objects.create(
        user=user,
        action=action,
        content_type=ContentType.objects.get_for_model(subject),
        object_id=subject.pk,
        ip_address=_client_address(request),
        path=request.path[:300],
    )
