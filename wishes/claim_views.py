"""Claiming wishes online: one at a time or several at once."""

from django.http import HttpRequest, HttpResponse


def claim(request: HttpRequest, pk: int) -> HttpResponse:
    """Placeholder until online claiming is built."""
    return HttpResponse(status=501)


def batch_claim(request: HttpRequest) -> HttpResponse:
    """Placeholder until batch claiming is built."""
    return HttpResponse(status=501)
