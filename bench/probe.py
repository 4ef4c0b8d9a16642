"""Count the SQL queries and time the render of each benchmarked page, and log the cast in.

Run by bench/run.py against the benchmark database (DATABASE_URL, bench.settings). Reads
the pages as JSON on stdin (a list of [role, URL template]; the templates' {wish}, {event},
{child} and {deep} are filled in here) and prints one JSON object: the session key of each
role, the values filled in, and per URL template the queries and milliseconds of a full
render in this process with the page cache off (what a cache miss costs) and the queries
of a second visit with the cache on.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.load_data import (  # noqa: E402
    BENCH_COORDINATOR,
    BENCH_SCHOOL,
    BENCH_STAFF,
    BENCH_USERNAME,
)
from wishes.models import Child, Event, Wish, WishStatus  # noqa: E402
from wishes.public.selectors import open_public_wishes, open_wishes  # noqa: E402
from wishes.public.views import WISHES_PER_PAGE, CappedPaginator  # noqa: E402

USERS = {"sponsor": BENCH_USERNAME, "coordinator": BENCH_COORDINATOR, "staff": BENCH_STAFF}
RENDERS = 5


def _get(client: Client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return response


def _count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        _get(client, url)
    return len(queries)


def _render_ms(client: Client, url: str) -> tuple[float, float]:
    """Milliseconds of one full render in this process, wall clock and CPU of this process
    (without the database's), each the median of RENDERS after a first one."""
    _get(client, url)
    times, cpu = [], []
    for _ in range(RENDERS):
        started, started_cpu = time.perf_counter(), time.process_time()
        _get(client, url)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return statistics.median(times), statistics.median(cpu)


def _values() -> dict[str, int]:
    open_ids = open_wishes().values_list("pk", flat=True)
    total = open_wishes().count()
    return {
        # A wish in the middle of the list, the same one at every size (the oldest ones
        # stay where they are as wishes are added).
        "wish": open_ids[min(500, total - 1)],
        "event": Event.objects.filter(is_public=True)
        .order_by("pk")
        .values_list("pk", flat=True)[0],
        # A child of the school with a claimed wish: the page then shows a claim, its
        # photos, letters and history at every size.
        "child": Child.objects.filter(school__name=BENCH_SCHOOL, wishes__claims__isnull=False)
        .order_by("pk")
        .values_list("pk", flat=True)[0],
        # The last page the list offers (its own paginator says which): past it the list
        # reads no rows and asks to narrow it down, which would measure nothing.
        "deep": CappedPaginator(open_public_wishes(), WISHES_PER_PAGE).num_pages,
    }


def main() -> None:
    pages = json.load(sys.stdin)
    host = os.environ.get("BENCH_HOST", "127.0.0.1")
    clients = {"anonymous": lambda: Client(HTTP_HOST=host)}
    sessions = {}
    for role, username in USERS.items():
        client = Client(HTTP_HOST=host)
        client.force_login(
            get_user_model().objects.get(username=username), backend="huamu.auth.RoleAwareBackend"
        )
        sessions[role] = client.cookies["sessionid"].value
        clients[role] = lambda client=client: client
    values = _values()

    queries = {}
    for role, template in pages:
        url = template.format(**values)
        with override_settings(HUAMU_PUBLIC_CACHE=False):
            # A first look warms what a process caches for good (content types, e.g. for
            # the access log), which depends on the pages probed before, not on the data.
            _get(clients[role](), url)
            render = _count(clients[role](), url)
            render_ms, cpu_ms = _render_ms(clients[role](), url)
        visitor = clients[role]()
        _get(visitor, url)
        queries[template] = {
            "render": render,
            "cached": _count(visitor, url),
            "render_ms": render_ms,
            "cpu_ms": cpu_ms,
        }

    print(
        json.dumps(
            {
                "sessions": sessions,
                "values": values,
                "wishes": Wish.objects.count(),
                "open_wishes": Wish.objects.filter(status=WishStatus.OPEN).count(),
                "queries": queries,
            }
        )
    )


if __name__ == "__main__":
    main()
