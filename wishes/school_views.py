"""The school coordinator's pages."""

from django.http import HttpRequest, HttpResponse


def overview(request: HttpRequest) -> HttpResponse:
    """Placeholder until the school pages are built."""
    return HttpResponse(status=501)
