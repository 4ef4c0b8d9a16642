"""A database outage becomes a friendly 503 page instead of a traceback or a bare 500."""

import logging
import sys
from collections.abc import Callable

from django.db.utils import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template.loader import render_to_string
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger(__name__)

# What the drivers raise when the server is down, restarting, refusing or dropped the link.
DATABASE_ERRORS = (OperationalError, InterfaceError)
# Seconds after which a browser or a proxy may try again.
RETRY_AFTER = 30


def database_unavailable(request: HttpRequest, error: BaseException) -> HttpResponse:
    """Log the outage and answer 503 with a page rendered without touching the database."""
    logger.error(
        "Database unavailable during %s %s: %s",
        request.method,
        request.path,
        error,
        exc_info=error,
    )
    # No request in the context: the context processors would load the session, the user
    # and the messages, all of them from the database that is down.
    response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    add_never_cache_headers(response)
    return response


class DatabaseOutageMiddleware:
    """Answer 503 when the view (or a template it renders) finds the database down.

    Place it right after SecurityMiddleware, WhiteNoise and the X-Frame-Options and CSP
    middlewares, before sessions. Django turns an exception raised in another middleware (e.g.
    the session being saved) into a response at that layer, so it never reaches this one:
    `server_error`, the handler500, covers those. Only the middlewares above that layer add
    their headers to such a page, so every security header must come from above this one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_ERRORS):
            return database_unavailable(request, exception)
        return None


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a database outage anywhere in the request is a 503, anything else a 500."""
    # Django calls the handler while handling the exception, so it is still current here.
    error = sys.exception()
    if isinstance(error, DATABASE_ERRORS):
        return database_unavailable(request, error)
    # Like Django's own handler: no request context, so nothing can fail a second time.
    return HttpResponseServerError(render_to_string("500.html"))
