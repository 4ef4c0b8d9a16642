"""Public event pages."""

from django.http import HttpRequest, HttpResponse


def event_list(request: HttpRequest) -> HttpResponse:
    """Placeholder until the events pages are built."""
    return HttpResponse(status=501)


def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Placeholder until the events pages are built."""
    return HttpResponse(status=501)
