"""Private files: each request is checked, logged and served uncached."""

from django.http import HttpRequest, HttpResponse


def photo(request: HttpRequest, pk: int) -> HttpResponse:
    """Placeholder."""
    return HttpResponse(status=501)


def photo_thumbnail(request: HttpRequest, pk: int) -> HttpResponse:
    """Placeholder."""
    return HttpResponse(status=501)


def letter_scan(request: HttpRequest, pk: int) -> HttpResponse:
    """Placeholder."""
    return HttpResponse(status=501)


def letter_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """Placeholder."""
    return HttpResponse(status=501)
