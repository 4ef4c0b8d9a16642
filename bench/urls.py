"""The site's URLs and the two baselines the benchmark measures its pages beside.

- `/bench/bare/` answers "ok" through the same middleware: what Django itself costs;
- `/bench/listview/` is a plain Django ListView over the same wishes table, 24 a page, in
  the same base template: what a simple page of wishes costs, the yardstick of a cache miss
  (docs/benchmarks.md).
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.generic import ListView

from huamu.urls import urlpatterns as site_urlpatterns
from wishes.models import Wish, WishStatus


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


class PlainWishList(ListView):
    """Open wishes, oldest first, as a first Django tutorial would list them."""

    template_name = "bench/plain_wish_list.html"
    paginate_by = 24
    queryset = Wish.objects.filter(status=WishStatus.OPEN).order_by("published_at", "pk")


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/listview/", PlainWishList.as_view()),
    *site_urlpatterns,
]
