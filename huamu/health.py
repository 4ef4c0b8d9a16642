"""/healthz: tells a load balancer or a monitor whether this server can answer requests."""

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except DatabaseError as error:
        logger.warning("Health check: the database does not answer: %s", error)
        return False


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers `SELECT 1`, else 503; no login, never cached."""
    # Only states and the time: no versions, host or database names for strangers to read.
    now = timezone.now().isoformat()
    if _database_answers():
        return JsonResponse({"status": "ok", "database": "ok", "time": now})
    return JsonResponse({"status": "error", "database": "unavailable", "time": now}, status=503)
