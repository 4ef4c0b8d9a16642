"""Site-wide pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    """The programme's front page."""
    return render(request, "home.html")
