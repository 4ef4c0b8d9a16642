"""Sponsor sign-up and the sponsor's own dashboard."""

from django.http import HttpRequest, HttpResponse


def register(request: HttpRequest) -> HttpResponse:
    """Placeholder until sign-up is built."""
    return HttpResponse(status=501)


def dashboard(request: HttpRequest) -> HttpResponse:
    """Placeholder until the dashboard is built."""
    return HttpResponse(status=501)
