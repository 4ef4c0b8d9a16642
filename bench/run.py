"""Benchmark what users meet, cached and on a miss, beside a bare view and a plain ListView.

    .venv/bin/python bench/run.py                       # 100,000 wishes; see bench/README.md
    .venv/bin/python bench/run.py --wishes 1000 --duration 3 --rounds 1 --output /tmp/b.md

On loopback, bounded in time (--max-minutes) and cleaning up after itself: creates the
PostgreSQL database --database (dropped at the end unless --keep), migrates, loads 1,000
wishes and probes every page (queries and milliseconds of a render with the cache off, in
one process), grows the data to --wishes and probes again; starts two gunicorn servers of
2 sync workers each (DEBUG off, bench.settings: the site plus the bare view and the plain
ListView), one with the page cache in Redis and one with it off; then drives every page
with wrk at --connections connections for --duration seconds, --rounds times:

- public pages three ways: cached (the same URL again and again), a miss (a query string
  that differs on every request, so every request renders and stores a page) and with the
  cache off (the second server);
- logged-in pages (the sponsor's dashboard, the school pages of a coordinator of 1,000
  children, staff changelists and their searches) as served, and the dashboard with the
  cache off too;
- the bare view and the ListView on each server, in every round, as the yardsticks;

and finally the batch jobs (bench/batch_jobs.py: export, import, digest) with their time and
peak memory, unless --no-batch. Writes a markdown table with the targets to --output
(default docs/benchmarks.md). Not part of the test suite.
"""

import argparse
import contextlib
import datetime
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
DOC = ROOT / "docs" / "benchmarks.md"
WORKERS = 2

BARE = "/bench/bare/"
LISTVIEW = "/bench/listview/"

P99_TARGET_MS = 100
CACHED_TARGET = 0.5
UNCACHED_TARGET = 0.1
GROWTH_TARGET = 2.0
MISS_TO_LISTVIEW_TARGET = 3.0


@dataclass(frozen=True)
class Page:
    label: str
    url: str
    # "anonymous" pages are measured cached, on a miss and with the cache off; the others
    # as the role sees them (and the dashboard also with the cache off).
    role: str = "anonymous"
    # A query string that misses: False where the cache key ignores the query string.
    miss: bool = True


PAGES = [
    Page("home `/`", "/"),
    Page("waiting wishes `/wishes/`", "/wishes/"),
    Page(
        "filtered `/wishes/?category=books&grade=middle`", "/wishes/?category=books&grade=middle"
    ),
    Page("search that finds `/wishes/?q=科普书`", "/wishes/?q=科普书"),
    Page("search that finds nothing `/wishes/?q=没有这个心愿`", "/wishes/?q=没有这个心愿"),
    Page(
        "deep page (the last one offered) `/wishes/?page=<last>`",
        "/wishes/?page={deep}",
    ),
    Page("a wish page `/wishes/<id>/`", "/wishes/{wish}/"),
    Page("events `/events/`", "/events/"),
    Page("an event `/events/<id>/`", "/events/{event}/"),
    Page("impact `/impact/`", "/impact/"),
    # The feed's page cache is keyed by its cursor and limit, not the query string.
    Page("feed, first page `/feed/wishes.json`", "/feed/wishes.json", miss=False),
    Page("sponsor dashboard `/sponsor/` (~50 claims)", "/sponsor/", role="sponsor"),
    Page("school `/school/` (coordinator, 1,000 children)", "/school/", role="coordinator"),
    Page(
        "school, fulfilled wishes `/school/?show=fulfilled`",
        "/school/?show=fulfilled",
        role="coordinator",
    ),
    Page(
        "school, children without a wish `/school/?show=without-wish`",
        "/school/?show=without-wish",
        role="coordinator",
    ),
    Page(
        "school, a child `/school/children/<id>/`", "/school/children/{child}/", role="coordinator"
    ),
    Page("staff: wishes `/admin/wishes/wish/`", "/admin/wishes/wish/", role="staff"),
    Page(
        "staff: wishes search `/admin/wishes/wish/?q=科普书`",
        "/admin/wishes/wish/?q=科普书",
        role="staff",
    ),
    Page("staff: claims `/admin/wishes/claim/`", "/admin/wishes/claim/", role="staff"),
    Page(
        "staff: claims search `/admin/wishes/claim/?q=爱心单位1`",
        "/admin/wishes/claim/?q=爱心单位1",
        role="staff",
    ),
    Page("staff: children `/admin/wishes/child/`", "/admin/wishes/child/", role="staff"),
    Page(
        "staff: children search `/admin/wishes/child/?q=小王`",
        "/admin/wishes/child/?q=小王",
        role="staff",
    ),
]
BASELINES = [
    Page("bare Django view (same server, same middleware)", BARE),
    Page("plain Django ListView, same table and base template", LISTVIEW),
]

# Every request of a wrk run asks for a URL no request asked before: a cache miss.
MISS_SCRIPT = """
counter = 0
salt = tostring(math.random(1, 1000000000))
request = function()
  counter = counter + 1
  local sep = "?"
  if string.find(wrk.path, "?", 1, true) then sep = "&" end
  return wrk.format(nil, wrk.path .. sep .. "bench_miss=" .. salt .. "-" .. counter)
end
"""


class Timeout(Exception):
    pass


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(
    command: list[str], env: dict[str, str] | None = None, timeout: int = 3600, stdin: str = ""
) -> str:
    """Run a command; stop the benchmark with its output if it fails."""
    result = subprocess.run(  # noqa: S603 - fixed commands of this script
        command,
        cwd=ROOT,
        env=env,
        input=stdin or None,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def attempt(command: list[str]) -> subprocess.CompletedProcess:
    """Run a command whose failure is not fatal."""
    return subprocess.run(  # noqa: S603 - fixed commands of this script
        command, capture_output=True, text=True, timeout=120, check=False
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def app_env(args: argparse.Namespace, workdir: Path, cache: bool) -> dict[str, str]:
    """The environment of a production-like server, without PRODUCTION's HTTPS redirects."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"HUAMU_TESTING", "DJANGO_SETTINGS_MODULE", "PRODUCTION", "DEBUG"}
        and not key.startswith(("DATABASE_", "CACHE_", "TEST_", "PUBLIC_CACHE"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DEBUG="false",
        SECRET_KEY=args.secret_key,
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"postgres://{args.pg_user}@{args.pg_host}:{args.pg_port}/{args.database}",
        CONN_MAX_AGE="600",
        CACHE_URL=args.redis_url,
        PUBLIC_CACHE="true" if cache else "false",
        STATIC_ROOT=str(workdir / "static"),
        MEDIA_ROOT=str(workdir / "media"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def redis_client(args: argparse.Namespace):
    import redis

    return redis.Redis.from_url(args.redis_url)


def clear_redis(args: argparse.Namespace, pattern: str = "huamu:*") -> None:
    """Remove the benchmark's keys (all of them carry the app's "huamu:" prefix)."""
    client = redis_client(args)
    for key in client.scan_iter(match=pattern, count=1000):
        client.delete(key)


def probe(env: dict[str, str], pages: list[Page]) -> dict:
    pairs = [[page.role, page.url] for page in pages]
    return json.loads(
        run([PYTHON, "bench/probe.py"], env, stdin=json.dumps(pairs)).strip().splitlines()[-1]
    )


def path_of(url: str, values: dict) -> str:
    """The URL with its placeholders filled in, percent-encoded for the wire."""
    return quote(url.format(**values), safe="/?&=:")


def get(port: int, path: str, cookie: str = "") -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def wait_until_up(port: int, server: subprocess.Popen, seconds: int = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped while starting; see its log")
        with contextlib.suppress(OSError):
            if get(port, BARE)[0] == 200:
                return
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer in time")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def drain(ports: list[int]) -> None:
    """Wait until the requests wrk left queued are answered, so the next URL starts clean."""
    # Every server: one still working through the backlog of the last measurement would
    # take the CPU from the next one. A request through the same backlog comes back once
    # the queue ahead of it is empty.
    for port in ports:
        get(port, BARE)
    time.sleep(0.3)


def wrk(
    ports: list[int],
    port: int,
    path: str,
    cookie: str,
    seconds: int,
    connections: int,
    script: Path | None,
) -> dict:
    drain(ports)
    command = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    command += ["--timeout", "10s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(f"http://127.0.0.1:{port}{path}")
    output = run(command, timeout=seconds + 60)
    latencies = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    if "Requests/sec" not in output or len(latencies) != 2:
        raise SystemExit(f"unexpected output of {' '.join(command)}:\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    timeouts = re.search(r"Socket errors: .*timeout (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _ms(latencies["50"]),
        "p99": _ms(latencies["99"]),
        "errors": (int(errors.group(1)) if errors else 0)
        + (int(timeouts.group(1)) if timeouts else 0),
    }


def versions(env: dict[str, str], args: argparse.Namespace) -> dict[str, str]:
    snippet = (
        "import django, gunicorn, psycopg; "
        "print(django.get_version(), gunicorn.__version__, psycopg.__version__)"
    )
    django_version, gunicorn_version, psycopg_version = run([PYTHON, "-c", snippet], env).split()
    postgres = run(["psql", *pg(args), "-d", args.database, "-Atc", "SHOW server_version"])
    redis_version = str(redis_client(args).info().get("redis_version", ""))
    wrk_version = attempt(["wrk", "--version"])
    return {
        "Python": platform.python_version(),
        "Django": django_version,
        "gunicorn": gunicorn_version,
        "psycopg": psycopg_version,
        "PostgreSQL": postgres.split()[0],
        "Redis": redis_version,
        "wrk": (wrk_version.stdout + wrk_version.stderr).split()[1],
    }


def machine() -> dict[str, str]:
    cpu = ""
    with contextlib.suppress(OSError):
        cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text()).group(1)
    memory = ""
    with contextlib.suppress(OSError):
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    return {"cores": str(os.cpu_count()), "CPU": cpu, "memory": memory, "OS": platform.platform()}


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def pg(args: argparse.Namespace) -> list[str]:
    return ["-h", args.pg_host, "-p", str(args.pg_port), "-U", args.pg_user]


def start_server(args, env: dict[str, str], port: int, workdir: Path, name: str):
    config = ROOT / "gunicorn.conf.py"
    if args.gunicorn_config == "none" or not config.exists():
        config = workdir / "gunicorn_bench.conf.py"
        config.write_text("")
    server_log = (workdir / f"gunicorn-{name}.log").open("w")
    server = subprocess.Popen(  # noqa: S603 - our own gunicorn
        [
            GUNICORN,
            "huamu.wsgi:application",
            "--config",
            str(config),
            # Whatever the configuration says: the benchmark's server.
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--graceful-timeout",
            "5",
        ],
        cwd=ROOT,
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server_log.close()
    wait_until_up(port, server)
    return server


def stop_server(server: subprocess.Popen | None) -> None:
    if server is None or server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def run_batch_jobs(args: argparse.Namespace) -> str:
    """bench/batch_jobs.py on a database of its own; its markdown table."""
    database = f"{args.database}_batch"
    run(["dropdb", *pg(args), "--if-exists", database])
    run(["createdb", *pg(args), database])
    try:
        url = f"postgres://{args.pg_user}@{args.pg_host}:{args.pg_port}/{database}"
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        return run(
            [
                PYTHON,
                "bench/batch_jobs.py",
                "--wishes",
                str(args.batch_wishes),
                "--database-url",
                url,
            ],
            env,
        ).strip()
    finally:
        attempt(["dropdb", *pg(args), "--if-exists", database])


def _fmt_ms(value: float | None) -> str:
    return "" if value is None else f"{value:.0f}"


def _cell(result: dict | None, ratio_target: float | None) -> tuple[str, str, str]:
    """requests/s (ratio to bare), p50, p99 of one measurement, marked where off target."""
    if result is None:
        return "", "", ""
    ratio = f" ({result['ratio']:.2f})"
    if ratio_target is not None and result["ratio"] < ratio_target:
        ratio += " ✗"
    errors = f", {result['errors']} errors ✗" if result["errors"] else ""
    p99 = f"{result['p99']:.0f}" + (" ✗" if result["p99"] > P99_TARGET_MS else "")
    return f"{result['rps']:,.0f}{ratio}{errors}", f"{result['p50']:.0f}", p99


def write_doc(report: dict, output: Path) -> None:
    results = report["results"]
    small, large = report["probe_small"]["queries"], report["probe_large"]["queries"]
    header = (
        "| page | cached: req/s (to bare) | p50 | p99 | miss: req/s (to bare) | p50 | p99 "
        "| cache off: req/s (to bare) | p50 | p99 | queries per render "
        f"(1,000 / {report['wishes']:,}) | queries when cached | ms per render "
        f"(1,000 / {report['wishes']:,}) | growth |"
    )
    rows = [header, "|" + " --- |" + " ---: |" * 13]
    for page in [*BASELINES, *PAGES]:
        cells = []
        for mode, target in (
            ("cached", CACHED_TARGET),
            ("miss", UNCACHED_TARGET),
            ("off", UNCACHED_TARGET),
        ):
            result = results.get((page.url, mode))
            if page in BASELINES:
                target = None
            elif page.role != "anonymous":
                target = UNCACHED_TARGET
            cells += _cell(result, target)
        q_small, q_large = small.get(page.url, {}), large.get(page.url, {})
        growth = ""
        if q_small.get("render_ms") and q_large.get("render_ms"):
            ratio = q_large["render_ms"] / q_small["render_ms"]
            growth = f"{ratio:.1f}×" + (" ✗" if ratio > GROWTH_TARGET else "")
        queries = f"{q_small.get('render', '')} / {q_large.get('render', '')}"
        rows.append(
            f"| {page.label} | "
            + " | ".join(cells)
            + f" | {queries} | {q_large.get('cached', '')} "
            f"| {_fmt_ms(q_small.get('render_ms'))} / {_fmt_ms(q_large.get('render_ms'))} "
            f"| {growth} |"
        )
    lines = [
        "# Benchmarks",
        "",
        "Written by `bench/run.py` (not part of the tests); rerun it rather than editing "
        "this file. Every figure is the median of the rounds.",
        "",
        f"- Command: `{report['command']}`",
        f"- Date: {report['date']}",
        "- Machine: " + ", ".join(f"{k} {v}" for k, v in report["machine"].items() if v),
        f"- Load average (1, 5, 15 min) before the run: {report['load_before']}; after: "
        f"{report['load_after']}; the 1-minute figure during the measurements: "
        f"{report['load_during']} (the benchmark itself accounts for about 2). "
        f"{report['note']}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items() if v),
        f"- Data: {report['data']}",
        f"- Servers: two gunicorn servers of {WORKERS} sync workers ({report['gunicorn']}), "
        "DEBUG off, bench.settings (the site's settings and URLs plus the two baselines), "
        "PostgreSQL with connections kept open (CONN_MAX_AGE=600), static files through "
        f"whitenoise; one with the page cache in Redis ({report['redis']}), one with it off.",
        f"- Load: wrk on loopback, 1 thread, {report['connections']} connections, "
        f"{report['duration']} s per measurement after a {report['warmup']} s warm-up, "
        f"{report['rounds']} round(s); wrk, gunicorn, PostgreSQL and Redis share the machine.",
        "",
        "Columns: *cached* is the same URL again and again (anonymous pages come from the "
        "cache); *miss* adds a query string that differs on every request, so each one "
        "renders and stores its page; *cache off* is the second server. Logged-in pages are "
        "rendered for each request (the dashboard's claims come from the cache, per "
        "sponsor): their *cached* column is the page as served. (to bare) is each "
        "measurement's requests/s over the bare view's on the same server in the same round, "
        "median over the rounds. Queries and ms per render are one process rendering the page "
        "with the cache off (bench/probe.py), at 1,000 wishes and at the full size; growth is "
        "their ratio. ✗ marks a figure off its target.",
        "",
        *rows,
        "",
        "## Targets",
        "",
        *[f"- {'met' if ok else 'MISSED'}: {text}" for text, ok in report["checks"]],
        "",
    ]
    if report.get("batch"):
        lines += [
            "## Batch jobs",
            "",
            "bench/batch_jobs.py on a PostgreSQL database of its own, in the same run "
            '(each job in its own process; peak RSS is that process\'s, "before the job" the '
            "same process with Django loaded). Budgets: export of 50,000 wishes ≤ 15 s and "
            "≤ 300 MB, import of 5,000 rows ≤ 10 s.",
            "",
            report["batch"],
            "",
        ]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(lines), encoding="utf-8")


def checks_of(report: dict, args: argparse.Namespace) -> list[tuple[str, bool]]:
    results = report["results"]
    small, large = report["probe_small"]["queries"], report["probe_large"]["queries"]
    measured_pages = [(page, mode) for page in PAGES for mode in ("cached", "miss", "off")]
    slow = sorted(
        {
            f"{page.url} ({mode})"
            for page, mode in measured_pages
            if (page.url, mode) in results and results[(page.url, mode)]["p99"] > P99_TARGET_MS
        }
    )
    low_cached = [
        page.url
        for page in PAGES
        if page.role == "anonymous"
        and (page.url, "cached") in results
        and results[(page.url, "cached")]["ratio"] < CACHED_TARGET
    ]
    low_uncached = sorted(
        {
            f"{page.url} ({mode})"
            for page, mode in measured_pages
            if (mode != "cached" or page.role != "anonymous")
            and (page.url, mode) in results
            and results[(page.url, mode)]["ratio"] < UNCACHED_TARGET
        }
    )
    grown = [
        page.url
        for page in PAGES
        if small.get(page.url, {}).get("render_ms")
        and large.get(page.url, {}).get("render_ms", 0) / small[page.url]["render_ms"]
        > GROWTH_TARGET
    ]
    queries_changed = [
        page.url
        for page in PAGES
        if small.get(page.url, {}).get("render") != large.get(page.url, {}).get("render")
    ]
    failed = sorted({f"{url} ({mode})" for (url, mode), r in results.items() if r["errors"]})
    wishes_ms = large.get("/wishes/", {}).get("render_ms")
    list_ms = large.get(LISTVIEW, {}).get("render_ms")
    miss_ratio = wishes_ms / list_ms if wishes_ms and list_ms else float("inf")
    wishes_cpu = large.get("/wishes/", {}).get("cpu_ms")
    list_cpu = large.get(LISTVIEW, {}).get("cpu_ms")
    cpu_ratio = wishes_cpu / list_cpu if wishes_cpu and list_cpu else float("inf")
    return [
        (
            f"p99 at most {P99_TARGET_MS} ms at {args.connections} connections on every page"
            + (f" (over it: {', '.join(slow)})" if slow else ""),
            not slow,
        ),
        (
            f"cached public pages at no less than {CACHED_TARGET} of the bare view"
            + (f" (below: {', '.join(low_cached)})" if low_cached else ""),
            not low_cached,
        ),
        (
            f"uncached pages (miss, cache off, logged in) at no less than {UNCACHED_TARGET} of "
            "the bare view" + (f" (below: {', '.join(low_uncached)})" if low_uncached else ""),
            not low_uncached,
        ),
        (
            f"render time growing at most {GROWTH_TARGET:g}× from 1,000 to "
            f"{report['wishes']:,} wishes" + (f" (more: {', '.join(grown)})" if grown else ""),
            not grown,
        ),
        (
            f"an uncached `/wishes/` within {MISS_TO_LISTVIEW_TARGET:g}× the plain ListView's "
            f"render ({_fmt_ms(wishes_ms)} ms against {_fmt_ms(list_ms)} ms: "
            f"{miss_ratio:.1f}×; CPU of the process alone {_fmt_ms(wishes_cpu)} ms against "
            f"{_fmt_ms(list_cpu)} ms: {cpu_ratio:.1f}×)",
            miss_ratio <= MISS_TO_LISTVIEW_TARGET,
        ),
        (
            "queries per render independent of the number of wishes"
            + (f" (changed: {', '.join(queries_changed)})" if queries_changed else ""),
            not queries_changed,
        ),
        ("no failed request" + (f" (failed: {', '.join(failed)})" if failed else ""), not failed),
    ]


def measure(
    args: argparse.Namespace,
    servers: dict[str, int],
    cookies: dict[str, str],
    values: dict,
    miss_script: Path,
) -> tuple[dict, list[float]]:
    """Every page in every mode, --rounds times; the medians, and the load seen."""
    # (url, mode) -> (port, cookie, script); the baselines in every mode of their server.
    plan: dict[tuple[str, str], tuple[int, str, Path | None]] = {}
    for page in BASELINES:
        plan[(page.url, "cached")] = (servers["cached"], "", None)
        plan[(page.url, "off")] = (servers["off"], "", None)
    for page in PAGES:
        cookie = cookies.get(page.role, "")
        plan[(page.url, "cached")] = (servers["cached"], cookie, None)
        if page.role == "anonymous" and page.miss:
            plan[(page.url, "miss")] = (servers["cached"], cookie, miss_script)
        if page.role in ("anonymous", "sponsor"):
            plan[(page.url, "off")] = (servers["off"], cookie, None)
    for (url, _mode), (port, cookie, _script) in plan.items():
        status, body = get(port, path_of(url, values), cookie)
        if status != 200:
            raise SystemExit(f"{url} answered {status} on port {port}")
        if url == "/sponsor/" and "基准测试" not in body:
            raise SystemExit("/sponsor/ did not show the benchmark sponsor's dashboard")
    samples: dict[tuple[str, str], list[dict]] = {key: [] for key in plan}
    loads: list[float] = []
    for round_number in range(1, args.rounds + 1):
        for (url, mode), (port, cookie, script) in plan.items():
            path = path_of(url, values)
            every = list(servers.values())
            if args.warmup:
                wrk(every, port, path, cookie, args.warmup, args.connections, script)
            result = wrk(every, port, path, cookie, args.duration, args.connections, script)
            if script is not None:
                # The pages each miss stored: thousands, never asked for again.
                clear_redis(args, "huamu:*public:v2:page:*")
            samples[(url, mode)].append(result)
            loads.append(float(load_average().split()[0]))
            log(
                f"round {round_number} {mode:6} {path}: {result['rps']:.0f} req/s, "
                f"p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms"
            )
    results = {}
    for (url, mode), runs in samples.items():
        bare_runs = samples[(BARE, "off" if mode == "off" else "cached")]
        results[(url, mode)] = {
            key: statistics.median(sample[key] for sample in runs) for key in ("rps", "p50", "p99")
        }
        results[(url, mode)]["errors"] = sum(sample["errors"] for sample in runs)
        # Each round's ratio to the bare view of the same server and round, then the median.
        results[(url, mode)]["ratio"] = statistics.median(
            sample["rps"] / bare["rps"] for sample, bare in zip(runs, bare_runs, strict=True)
        )
    return results, loads


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wishes", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per URL")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per URL")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default="huamu_bench", help="PostgreSQL database name")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument("--redis-host", default="127.0.0.1")
    parser.add_argument("--redis-port", type=int, default=6379)
    parser.add_argument("--redis-db", type=int, default=3, help="Redis database number")
    parser.add_argument(
        "--port", type=int, default=0, help="the cached server's port; the other uses the next"
    )
    parser.add_argument("--output", type=Path, default=DOC, help="where to write the table")
    parser.add_argument("--no-batch", action="store_true", help="skip the batch jobs")
    parser.add_argument(
        "--batch-wishes",
        type=int,
        default=100_000,
        help="wishes in the batch jobs' own database (at least 50,000: the export's campaign)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="use the database as it is")
    parser.add_argument("--max-minutes", type=int, default=90, help="stop after this long")
    parser.add_argument("--note", default="", help="a line for the report (e.g. other load)")
    parser.add_argument(
        "--gunicorn-config",
        choices=["project", "none"],
        default="project",
        help="serve with the project's gunicorn.conf.py (default) or gunicorn's defaults",
    )
    args = parser.parse_args()
    args.redis_url = f"redis://{args.redis_host}:{args.redis_port}/{args.redis_db}"
    args.secret_key = secrets.token_urlsafe(50)
    return args


def main() -> None:
    args = parse_args()
    for tool in ("wrk", "psql", "createdb", "dropdb"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing (apt-get install -y wrk postgresql-client)")
    if not (ROOT / "static" / "vendor" / "bootstrap" / "bootstrap.min.css.map").exists():
        raise SystemExit("static/vendor is incomplete: run `make assets` first")
    if not port_answers(args.redis_host, args.redis_port):
        raise SystemExit(f"no Redis on {args.redis_host}:{args.redis_port}")

    def out_of_time(signum, frame):
        raise Timeout(f"stopped after {args.max_minutes} minutes")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.signal(signal.SIGTERM, out_of_time)
    signal.alarm(args.max_minutes * 60)

    workdir = Path(tempfile.mkdtemp(prefix="huamu-bench-"))
    env = app_env(args, workdir, cache=True)
    env_off = app_env(args, workdir, cache=False)
    miss_script = workdir / "miss.lua"
    miss_script.write_text(MISS_SCRIPT)
    servers: list[subprocess.Popen] = []
    load_before = load_average()
    started = datetime.datetime.now(datetime.UTC)
    pages = [*BASELINES, *PAGES]
    try:
        if not args.reuse:
            log(f"creating database {args.database}")
            run(["dropdb", *pg(args), "--if-exists", args.database])
            run(["createdb", *pg(args), args.database])
            run([PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"], env)
        run([PYTHON, "manage.py", "createcachetable"], env)
        clear_redis(args)
        log("collecting static files")
        run([PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0"], env)
        if not args.reuse:
            log("loading 1,000 wishes")
            log(run([PYTHON, "bench/load_data.py", "--wishes", "1000"], env).strip())
        probe_small = probe(env, pages)
        log(f"probed {probe_small['wishes']:,} wishes: {probe_small['queries']}")
        if args.wishes > probe_small["wishes"]:
            log(f"loading up to {args.wishes:,} wishes")
            log(run([PYTHON, "bench/load_data.py", "--wishes", str(args.wishes)], env).strip())
        probe_large = probe(env, pages)
        log(f"probed {probe_large['wishes']:,} wishes: {probe_large['queries']}")
        counts = run(
            [
                "psql",
                *pg(args),
                "-d",
                args.database,
                "-Atc",
                "SELECT (SELECT count(*) FROM wishes_claim), (SELECT count(*) FROM wishes_child), "
                "(SELECT count(*) FROM sponsors_sponsor), (SELECT count(*) FROM wishes_claim c "
                "JOIN sponsors_sponsor s ON s.id = c.sponsor_id WHERE s.name LIKE '%基准测试%'), "
                "(SELECT count(*) FROM wishes_child c JOIN wishes_school s ON s.id = c.school_id "
                "WHERE s.name LIKE '%基准测试%')",
            ]
        ).strip()
        claims, children, sponsors, bench_claims, school_children = counts.split("|")

        ports = {
            "cached": args.port or free_port(),
            "off": args.port + 1 if args.port else free_port(),
        }
        for name, port in ports.items():
            log(f"starting gunicorn ({name}) on 127.0.0.1:{port}")
            servers.append(
                start_server(args, env if name == "cached" else env_off, port, workdir, name)
            )
        cookies = {role: f"sessionid={key}" for role, key in probe_large["sessions"].items()}
        results, loads = measure(args, ports, cookies, probe_large["values"], miss_script)
        for server in servers:
            stop_server(server)
        batch = ""
        if not args.no_batch:
            log(f"batch jobs at {args.batch_wishes:,} wishes")
            batch = run_batch_jobs(args)
            log(batch)
        report = {
            "command": " ".join(["bench/run.py", *sys.argv[1:]]),
            "date": f"{started:%Y-%m-%d %H:%M} UTC",
            "machine": machine(),
            "load_before": load_before,
            "load_after": load_average(),
            "load_during": f"{min(loads):.1f} to {max(loads):.1f}",
            "note": args.note
            or "Other work (test suites of parallel sessions) may have been running.",
            "versions": versions(env, args),
            "data": f"{probe_large['wishes']:,} wishes ({probe_large['open_wishes']:,} open), "
            f"{int(claims):,} claims, {int(children):,} children, {int(sponsors):,} sponsors; "
            f"the logged-in sponsor holds {bench_claims} claims, the coordinator's school has "
            f"{int(school_children):,} children",
            "redis": args.redis_url,
            "gunicorn": "the project's gunicorn.conf.py"
            if args.gunicorn_config == "project"
            else "gunicorn's defaults",
            "connections": args.connections,
            "duration": args.duration,
            "warmup": args.warmup,
            "rounds": args.rounds,
            "results": results,
            "wishes": probe_large["wishes"],
            "probe_small": probe_small,
            "probe_large": probe_large,
            "batch": batch,
        }
        report["checks"] = checks_of(report, args)
        write_doc(report, args.output)
        log(f"wrote {args.output}")
        for text, ok in report["checks"]:
            log(f"{'met' if ok else 'MISSED'}: {text}")
    finally:
        signal.alarm(0)
        for server in servers:
            stop_server(server)
        for log_file in workdir.glob("gunicorn-*.log"):
            errors = log_file.read_text(errors="replace")
            if "Traceback" in errors:
                print(errors[errors.index("Traceback") :][:3000], file=sys.stderr)
        with contextlib.suppress(Exception):
            clear_redis(args)
        if not args.keep:
            attempt(["dropdb", *pg(args), "--if-exists", args.database])
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
