"""Recording who looked at a child's record, photo or letter."""

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import HttpRequest

from huamu.net import client_ip
from wishes.models import AccessAction, AccessLog


def log_access(request: HttpRequest, *, action: AccessAction, subject: models.Model) -> None:
    """Write one AccessLog row; the path holds ids only, never a child's name."""
    user = request.user if request.user.is_authenticated else None
    AccessLog.objects.create(
        user=user,
        action=action,
        content_type=ContentType.objects.get_for_model(subject),
        object_id=subject.pk,
        ip_address=client_ip(request),
        path=request.path[:300],
    )
