"""Benchmark the public pages on PostgreSQL with 100,000 wishes; write docs/benchmarks.md.

    .venv/bin/python bench/run.py                 # about 8 minutes on the 2-core machine
    .venv/bin/python bench/run.py --keep          # keep the huamu_bench database afterwards
    .venv/bin/python bench/run.py --reuse --keep  # serve an existing huamu_bench again

What it does, all on loopback, bounded in time (--max-minutes) and cleaning up after itself:
creates the PostgreSQL database huamu_bench (dropped at the end unless --keep), migrates,
loads 1,000 wishes and counts each page's SQL queries, grows the data to --wishes and counts
again (the counts must not change), collects static files, starts gunicorn (2 sync workers,
DEBUG off, the bare view on), warms each URL up, then drives each one with wrk at 16
connections for --duration seconds, --rounds times, and keeps the median of each figure.
The bare view answers "ok" through the same middleware, so the ratio shows what a page
costs beyond Django itself. Not part of the test suite.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
DOC = ROOT / "docs" / "benchmarks.md"
DATABASE = "huamu_bench"
PG = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
# Redis database number for the benchmark's cache: away from the ones the app or tests use.
REDIS_URL = "redis://127.0.0.1:6379/3"
WORKERS = 2

BARE = "/bench/bare/"
# (label, URL); {wish} is replaced by an open wish's id.
PAGES = [
    ("bare Django view (same server, same middleware)", BARE),
    # Right after the bare view: their ratio is the target, and the load on a shared
    # machine drifts less between two neighbouring measurements.
    ("waiting wishes `/wishes/`", "/wishes/"),
    ("home `/`", "/"),
    ("filtered `/wishes/?category=books&grade=middle`", "/wishes/?category=books&grade=middle"),
    ("a wish page `/wishes/<id>/`", "/wishes/{wish}/"),
    ("events `/events/`", "/events/"),
    ("impact `/impact/`", "/impact/"),
    ("sponsor dashboard `/sponsor/` (logged in, ~50 claims, 10 a page)", "/sponsor/"),
]
P99_TARGET_MS = 100
RATIO_TARGET = 0.5


class Timeout(Exception):
    pass


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(command: list[str], env: dict[str, str] | None = None, timeout: int = 600) -> str:
    """Run a command; stop the benchmark with its output if it fails."""
    result = subprocess.run(  # noqa: S603 - fixed commands of this script
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
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


def redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def app_env(args: argparse.Namespace, static_root: Path, media_root: Path) -> dict[str, str]:
    """The environment of a production-like server, without PRODUCTION's HTTPS redirects."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"HUAMU_TESTING", "DJANGO_SETTINGS_MODULE", "PRODUCTION", "DEBUG"}
        and not key.startswith(("DATABASE_", "CACHE_", "TEST_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="huamu.settings",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
        CONN_MAX_AGE="600",
        CACHE_URL=REDIS_URL if args.cache == "redis" else "db://huamu_cache",
        BENCH_BARE_VIEW="true",
        STATIC_ROOT=str(static_root),
        MEDIA_ROOT=str(media_root),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def clear_redis() -> None:
    """Remove the benchmark's keys (all of them carry the app's "huamu:" prefix)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match="huamu:*"):
        client.delete(key)


def probe(env: dict[str, str], urls: list[str], wish_id: int | None = None) -> dict:
    command = [PYTHON, "bench/probe.py", *urls]
    if wish_id:
        command[2:2] = ["--wish-id", str(wish_id)]
    return json.loads(run(command, env).strip().splitlines()[-1])


def wait_until_up(port: int, server: subprocess.Popen, seconds: int = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped while starting; see its log above")
        with contextlib.suppress(OSError):
            if get(port, BARE)[0] == 200:
                return
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer in time")


def get(port: int, path: str, cookie: str = "") -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def drain(port: int) -> None:
    """Wait until the requests wrk left queued are answered, so the next URL starts clean."""
    # One request through the same backlog comes back once the queue ahead of it is empty.
    get(port, BARE)
    time.sleep(0.5)


def wrk(port: int, path: str, cookie: str, seconds: int, connections: int) -> dict:
    drain(port)
    command = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    output = run(command, timeout=seconds + 60)
    latencies = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    if "Requests/sec" not in output or len(latencies) != 2:
        raise SystemExit(f"unexpected output of {' '.join(command)}:\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)$", output, re.MULTILINE)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _ms(latencies["50"]),
        "p99": _ms(latencies["99"]),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def versions(env: dict[str, str]) -> dict[str, str]:
    snippet = (
        "import django, gunicorn, psycopg; "
        "print(django.get_version(), gunicorn.__version__, psycopg.__version__)"
    )
    django_version, gunicorn_version, psycopg_version = run([PYTHON, "-c", snippet], env).split()
    postgres = run(["psql", *PG, "-d", DATABASE, "-Atc", "SHOW server_version"]).strip()
    redis = ""
    if shutil.which("redis-server"):
        redis = re.search(r"v=(\S+)", run(["redis-server", "--version"])).group(1)
    wrk_version = attempt(["wrk", "--version"])
    return {
        "Python": platform.python_version(),
        "Django": django_version,
        "gunicorn": gunicorn_version,
        "psycopg": psycopg_version,
        "PostgreSQL": postgres.split()[0],
        "Redis": redis,
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
    return {
        "cores": str(os.cpu_count()),
        "CPU": cpu,
        "memory": memory,
        "OS": platform.platform(),
    }


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def write_doc(report: dict) -> None:
    rows = []
    for label, url in PAGES:
        result = report["results"].get(url)
        small = report["queries_small"].get(url, {})
        large = report["queries_large"].get(url, {})
        if result is None:
            rows.append(f"| {label} | n/a | | | | | | |")
            continue
        render_ms = "" if url == BARE else f"{large.get('render_ms', 0):.0f}"
        queries = "0" if url == BARE else f"{small.get('render')} / {large.get('render')}"
        cached = "0" if url == BARE else large.get("cached")
        cached = "not cached" if cached is None else str(cached)
        p99 = f"{result['p99']:.1f}" + ("" if result["p99"] <= P99_TARGET_MS else " ✗")
        errors = f" ({result['errors']} errors)" if result["errors"] else ""
        rows.append(
            f"| {label} | {result['rps']:,.0f}{errors} | {result['p50']:.1f} | {p99} "
            f"| {result['ratio']:.2f} | {queries} | {cached} | {render_ms} |"
        )
    checks = report["checks"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `bench/run.py` (not part of the tests); rerun it rather than editing "
        "this file. Every figure is the median of the rounds.",
        "",
        f"- Date: {report['date']}",
        "- Machine: " + ", ".join(f"{k} {v}" for k, v in report["machine"].items() if v),
        f"- Load average (1, 5, 15 min) before the run: {report['load_before']}; after: "
        f"{report['load_after']}; the 1-minute figure during the measurements: "
        f"{report['load_during']} (the benchmark itself accounts for about 2). "
        f"{report['note']}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in report["versions"].items() if v),
        f"- Data: {report['data']}",
        f"- Server: gunicorn ({report['gunicorn_config']}), {WORKERS} sync workers, DEBUG off, "
        "PostgreSQL with connections "
        f"kept open (CONN_MAX_AGE=600), static files through whitenoise, cache: "
        f"{report['cache']}.",
        f"- Load: wrk on loopback, 1 thread, {report['connections']} connections, "
        f"{report['duration']} s per URL after a 2 s warm-up, {report['rounds']} rounds; "
        "wrk, gunicorn, PostgreSQL and Redis share the 2 cores.",
        "",
        "Ratio to bare: each round's requests/s over the bare view's in the same round, "
        "median over the rounds.",
        "",
        "| URL | requests/s | p50 ms | p99 ms | ratio to bare | queries per render "
        f"(1,000 / {report['wishes']:,} wishes) | queries when cached "
        "| ms per render (cache miss) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *rows,
        "",
        "Queries and milliseconds per render are measured with the page cache off, in one "
        f"process with {report['wishes']:,} wishes: what a cache miss costs, once per page, "
        'query string and language after each change of public data. "Queries when cached" '
        "is a second visit. Public pages are served to anonymous visitors from the shared "
        "cache until a wish, claim, consent, event, photo or letter changes (huamu/cache.py). "
        "The sponsor dashboard is rendered for each request, but the claims and letters on "
        "it come from the same cache, per sponsor, under the same rule: when cached, its "
        "queries are the session, the user and the sponsor membership.",
        "",
        "## Targets",
        "",
        *[f"- {'met' if ok else 'MISSED'}: {text}" for text, ok in checks],
        "",
    ]
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:  # noqa: C901 - one straight script, easier read top to bottom
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wishes", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per URL")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache", choices=["redis", "db"], default="redis")
    parser.add_argument("--keep", action="store_true", help="keep the huamu_bench database")
    parser.add_argument("--reuse", action="store_true", help="use huamu_bench as it is")
    parser.add_argument("--max-minutes", type=int, default=30, help="stop after this long")
    parser.add_argument("--note", default="", help="a line for the report (e.g. other load)")
    parser.add_argument(
        "--gunicorn-config",
        choices=["project", "none"],
        default="project",
        help="serve with the project's gunicorn.conf.py (default) or gunicorn's defaults",
    )
    args = parser.parse_args()

    for tool in ("wrk", "psql", "createdb", "dropdb"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is missing (apt-get install -y wrk postgresql-client)")
    if not (ROOT / "static" / "vendor" / "bootstrap" / "bootstrap.min.css.map").exists():
        raise SystemExit("static/vendor is incomplete: run `make assets` first")
    if args.cache == "redis" and not redis_answers():
        raise SystemExit("no Redis on 127.0.0.1:6379; start it or use --cache db")

    def out_of_time(signum, frame):
        raise Timeout(f"stopped after {args.max_minutes} minutes")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.signal(signal.SIGTERM, out_of_time)
    signal.alarm(args.max_minutes * 60)

    workdir = Path(tempfile.mkdtemp(prefix="huamu-bench-"))
    env = app_env(args, workdir / "static", workdir / "media")
    server = None
    load_before = load_average()
    started = datetime.datetime.now(datetime.UTC)
    try:
        if not args.reuse:
            log(f"creating database {DATABASE}")
            run(["dropdb", *PG, "--if-exists", DATABASE])
            run(["createdb", *PG, DATABASE])
            run([PYTHON, "manage.py", "migrate", "--no-input", "-v", "0"], env)
        run([PYTHON, "manage.py", "createcachetable"], env)
        if args.cache == "redis":
            clear_redis()
        log("collecting static files")
        run([PYTHON, "manage.py", "collectstatic", "--no-input", "-v", "0"], env)
        urls = [url for _, url in PAGES if url != BARE]
        impact_routed = True
        if not args.reuse:
            log("loading 1,000 wishes")
            log(run([PYTHON, "bench/load_data.py", "--wishes", "1000"], env).strip())
        try:
            small = probe(env, urls)
        except SystemExit as error:
            if "/impact/" not in str(error):
                raise
            impact_routed = False
            urls.remove("/impact/")
            small = probe(env, urls)
        log(f"queries with {small['wishes']:,} wishes: {small['queries']}")
        log(f"loading up to {args.wishes:,} wishes")
        log(run([PYTHON, "bench/load_data.py", "--wishes", str(args.wishes)], env).strip())
        large = probe(env, urls, wish_id=small["wish_id"])
        log(f"queries with {large['wishes']:,} wishes: {large['queries']}")
        counts = run(
            [
                "psql",
                *PG,
                "-d",
                DATABASE,
                "-Atc",
                "SELECT (SELECT count(*) FROM wishes_claim), (SELECT count(*) FROM wishes_child), "
                "(SELECT count(*) FROM sponsors_sponsor), (SELECT count(*) FROM wishes_claim c "
                "JOIN sponsors_sponsor s ON s.id = c.sponsor_id WHERE s.name LIKE '%基准测试%')",
            ]
        ).strip()
        claims, children, sponsors, bench_claims = counts.split("|")

        port = free_port()
        config = ROOT / "gunicorn.conf.py"
        config_label = "the project's gunicorn.conf.py, GUNICORN_MAX_REQUESTS=" + os.environ.get(
            "GUNICORN_MAX_REQUESTS", "its default"
        )
        if args.gunicorn_config == "none" or not config.exists():
            config = workdir / "gunicorn_bench.conf.py"
            config.write_text("")
            config_label = "its defaults"
        log(f"starting gunicorn on 127.0.0.1:{port} with {config.name}")
        server_log = (workdir / "gunicorn.log").open("w")
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
        wait_until_up(port, server)
        cookie = f"sessionid={large['session']}"

        def cookie_for(url: str) -> str:
            # Only the dashboard is requested logged in.
            return cookie if url.startswith("/sponsor/") else ""

        wish_id = large["wish_id"]
        measured = [(label, url) for label, url in PAGES if url in urls or url == BARE]
        for _, url in measured:
            status, body = get(port, url.format(wish=wish_id), cookie_for(url))
            if status != 200:
                raise SystemExit(f"{url} answered {status}")
            if url == "/sponsor/" and "基准测试" not in body:
                raise SystemExit("/sponsor/ did not show the benchmark sponsor's dashboard")
        log("warming up")
        for _, url in measured:
            wrk(port, url.format(wish=wish_id), cookie_for(url), 2, args.connections)
        samples: dict[str, list[dict]] = {url: [] for _, url in measured}
        loads: list[float] = []
        for round_number in range(1, args.rounds + 1):
            for _, url in measured:
                result = wrk(
                    port,
                    url.format(wish=wish_id),
                    cookie_for(url),
                    args.duration,
                    args.connections,
                )
                samples[url].append(result)
                loads.append(float(load_average().split()[0]))
                log(
                    f"round {round_number} {url}: {result['rps']:.0f} req/s, "
                    f"p50 {result['p50']:.1f} ms, p99 {result['p99']:.1f} ms"
                )
        results = {
            url: {
                key: statistics.median(sample[key] for sample in runs)
                for key in ("rps", "p50", "p99")
            }
            for url, runs in samples.items()
        }
        for url, runs in samples.items():
            results[url]["errors"] = sum(sample["errors"] for sample in runs)
            # Each round's ratio to the bare view of the same round, then the median.
            results[url]["ratio"] = statistics.median(
                sample["rps"] / bare["rps"]
                for sample, bare in zip(runs, samples[BARE], strict=True)
            )

        wishes_ratio = results["/wishes/"]["ratio"]
        slow = [url for url in results if results[url]["p99"] > P99_TARGET_MS]
        changed = [
            url
            for url in urls
            if small["queries"][url]["render"] != large["queries"][url]["render"]
        ]
        checks = [
            (
                f"`/wishes/` at no less than {RATIO_TARGET:.0%} of the bare view's throughput "
                f"({wishes_ratio:.2f})",
                wishes_ratio >= RATIO_TARGET,
            ),
            (
                f"p99 at most {P99_TARGET_MS} ms at {args.connections} connections"
                + (f" (over it: {', '.join(slow)})" if slow else " on every URL"),
                not slow,
            ),
            (
                "queries per page independent of the number of wishes"
                + (f" (changed: {', '.join(changed)})" if changed else ""),
                not changed,
            ),
            (
                "no failed request",
                all(result["errors"] == 0 for result in results.values()),
            ),
        ]
        if not impact_routed:
            checks.append(("`/impact/` is not routed yet: not measured", False))
        report = {
            "date": f"{started:%Y-%m-%d %H:%M} UTC",
            "machine": machine(),
            "load_before": load_before,
            "load_after": load_average(),
            "load_during": f"{min(loads):.1f} to {max(loads):.1f}",
            "note": args.note
            or "Other work (test suites of parallel sessions) may have been running.",
            "versions": versions(env),
            "data": f"{large['wishes']:,} wishes ({large['open_wishes']:,} open), "
            f"{int(claims):,} claims, {int(children):,} children, {int(sponsors):,} sponsors; "
            f"the logged-in sponsor holds {bench_claims} claims",
            "cache": f"Redis ({REDIS_URL})" if args.cache == "redis" else "database table",
            "connections": args.connections,
            "duration": args.duration,
            "rounds": args.rounds,
            "results": results,
            "wishes": large["wishes"],
            "gunicorn_config": config_label,
            "queries_small": small["queries"],
            "queries_large": large["queries"],
            "checks": checks,
        }
        write_doc(report)
        log(f"wrote {DOC.relative_to(ROOT)}")
        for text, ok in checks:
            log(f"{'met' if ok else 'MISSED'}: {text}")
    finally:
        signal.alarm(0)
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        if server is not None:
            server_log.close()
        if server is not None and (workdir / "gunicorn.log").exists():
            errors = (workdir / "gunicorn.log").read_text(errors="replace")
            if "Traceback" in errors:
                print(errors[errors.index("Traceback") :][:3000], file=sys.stderr)
        if args.cache == "redis":
            with contextlib.suppress(Exception):
                clear_redis()
        if not args.keep:
            attempt(["dropdb", *PG, "--if-exists", DATABASE])
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
