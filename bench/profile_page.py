"""Where a cache miss of a page goes: render it in this process with the page cache off.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/huamu_bench DEBUG=false SECRET_KEY=x \\
        ALLOWED_HOSTS=127.0.0.1 STATIC_ROOT=/tmp/bench-static \\
        .venv/bin/python bench/profile_page.py /wishes/ /bench/listview/

(a database filled by bench/load_data.py, static files collected into STATIC_ROOT); add
`--role staff` (or sponsor, coordinator) to render them logged in as that bench user. Prints
per URL the median wall-clock and CPU milliseconds of a render, each query with its time,
and the functions that took the most time under cProfile. Not part of the tests.
"""

import argparse
import cProfile
import io
import os
import pstats
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

from bench.load_data import BENCH_COORDINATOR, BENCH_STAFF, BENCH_USERNAME  # noqa: E402

USERS = {"sponsor": BENCH_USERNAME, "coordinator": BENCH_COORDINATOR, "staff": BENCH_STAFF}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("urls", nargs="+")
    parser.add_argument("--renders", type=int, default=20)
    parser.add_argument("--top", type=int, default=25, help="functions to list")
    parser.add_argument("--sort", default="tottime", help="cProfile order (cumulative, …)")
    parser.add_argument(
        "--role", choices=sorted(USERS), help="log in as this bench user (default: anonymous)"
    )
    args = parser.parse_args()
    client = Client(HTTP_HOST="127.0.0.1")
    if args.role:
        # As bench/probe.py logs its cast in.
        user = get_user_model().objects.get(username=USERS[args.role])
        client.force_login(user, backend="huamu.auth.RoleAwareBackend")
    with override_settings(HUAMU_PUBLIC_CACHE=False):
        for url in args.urls:
            status = client.get(url).status_code
            if status != 200:
                raise SystemExit(f"{url} answered {status}")
            wall, cpu = [], []
            for _ in range(args.renders):
                started, started_cpu = time.perf_counter(), time.process_time()
                client.get(url)
                wall.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
            print(
                f"{url}: {statistics.median(wall):.1f} ms, "
                f"CPU of this process {statistics.median(cpu):.1f} ms"
            )
            with CaptureQueriesContext(connection) as queries:
                client.get(url)
            for query in queries.captured_queries:
                print(f"  {float(query['time']) * 1000:6.1f} ms  {query['sql'][:120]}")
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.renders):
                client.get(url)
            profile.disable()
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
            print(out.getvalue())


if __name__ == "__main__":
    main()
