"""Prometheus metrics at `/metrics`, for the monitoring on the servers' own network only.

django-prometheus counts requests, responses by status, latencies and exceptions per view.
The page answers only a request that comes straight from an address in
`METRICS_ALLOWED_NETWORKS` (default: this machine) and did not pass through the reverse
proxy: nginx, which also connects from this machine, adds X-Forwarded-For or X-Real-IP to
what it forwards, and a request carrying either is answered 404, as is everyone else.
With several gunicorn workers, set `PROMETHEUS_MULTIPROC_DIR` (docs/deploy.md) so the page
adds up every worker's numbers.
"""

import ipaddress

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django_prometheus.exports import ExportToDjangoView

_PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


def _allowed(request: HttpRequest) -> bool:
    if any(header in request.META for header in _PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


@never_cache
@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    """The metrics in Prometheus' text format, or 404 to anyone outside the network."""
    if not _allowed(request):
        raise Http404
    return ExportToDjangoView(request)
