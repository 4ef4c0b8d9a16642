"""Public wish pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from wishes.models import PUBLISHED_STATUSES, Wish, WishStatus


def wish_list(request: HttpRequest) -> HttpResponse:
    """Wishes waiting to be claimed, longest-waiting first."""
    wishes = Wish.objects.open().order_by("published_at", "pk")[:24]
    return render(request, "wishes/wish_list.html", {"wishes": wishes})


def wish_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One published wish."""
    wish = get_object_or_404(Wish, pk=pk, status__in=PUBLISHED_STATUSES)
    return render(
        request,
        "wishes/wish_detail.html",
        {"wish": wish, "is_open": wish.status == WishStatus.OPEN},
    )
