"""Count the SQL queries of each benchmarked page, and log the benchmark sponsor in.

Run by bench/run.py against the benchmark database (DATABASE_URL). Prints one JSON object:
the session key of the benchmark sponsor, an open wish to use as "a wish page", and per URL
the queries and milliseconds of a full render (page cache off: what a cache miss costs) and
the queries of a second visit (cache on): anonymous, or the sponsor's own for its dashboard.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huamu.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from wishes.models import Wish, WishStatus  # noqa: E402
from wishes.public.selectors import open_wishes  # noqa: E402

BENCH_USERNAME = "bench_sponsor"


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return len(queries)


def _render_ms(client: Client, url: str) -> float:
    """Milliseconds of one full render in this process (median of three)."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--wish-id", type=int, help="the wish page to use (default: pick one)")
    parser.add_argument("urls", nargs="*", help="URLs; {wish} stands for the wish page's id")
    args = parser.parse_args()

    wish_id = args.wish_id or open_wishes().values_list("pk", flat=True)[500]
    user = get_user_model().objects.get(username=BENCH_USERNAME)
    sponsor = Client(HTTP_HOST=args.host)
    sponsor.force_login(user, backend="huamu.auth.RoleAwareBackend")

    queries = {}
    for template in args.urls:
        url = template.format(wish=wish_id)
        if url.startswith("/sponsor/"):
            # A logged-in page: the claims and letters come from the cache, per sponsor.
            with override_settings(HUAMU_PUBLIC_CACHE=False):
                render = _count(sponsor, url)
                render_ms = _render_ms(sponsor, url)
            sponsor.get(url)
            queries[template] = {
                "render": render,
                "cached": _count(sponsor, url),
                "render_ms": render_ms,
            }
            continue
        with override_settings(HUAMU_PUBLIC_CACHE=False):
            render = _count(Client(HTTP_HOST=args.host), url)
            render_ms = _render_ms(Client(HTTP_HOST=args.host), url)
        visitor = Client(HTTP_HOST=args.host)
        visitor.get(url)
        queries[template] = {
            "render": render,
            "cached": _count(visitor, url),
            "render_ms": render_ms,
        }

    print(
        json.dumps(
            {
                "session": sponsor.cookies["sessionid"].value,
                "wish_id": wish_id,
                "wishes": Wish.objects.count(),
                "open_wishes": Wish.objects.filter(status=WishStatus.OPEN).count(),
                "queries": queries,
            }
        )
    )


if __name__ == "__main__":
    main()
