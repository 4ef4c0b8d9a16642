"""Time the batch jobs and their peak memory: campaign export, 5,000-row import, overdue digest.

Never run it on a database you care about: it migrates the database of --database-url
(default a throwaway SQLite file in /tmp, removed first), fills it in bulk with --wishes
wishes (50,000 of them in the exported campaign, 10,000 of those with an active overdue
claim), then runs each job in its own child process, so that each peak RSS is the job's
own, and prints a markdown table.

    .venv/bin/python bench/batch_jobs.py --wishes 100000
    .venv/bin/python bench/batch_jobs.py --database-url postgres://postgres@127.0.0.1:5432/bench_batch

With --reuse (PostgreSQL only) the filled database is kept as a template, <name>_filled,
and later runs with --reuse start from a fresh copy of it instead of filling it again (a
second or so instead of half a minute); drop the template when the loader or --wishes
changes.
"""

import argparse
import datetime
import io
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPORT_WISHES = 50_000
OVERDUE_CLAIMS = 10_000
IMPORT_ROWS = 5_000
SCHOOL = "花木中心小学"


def _setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "huamu.settings")
    import django

    django.setup()


def load(wishes: int) -> None:
    """Fill the empty database in bulk: the export campaign, other wishes, overdue claims."""
    from django.utils import timezone

    from sponsors.models import Sponsor, SponsorKind, UnitCategory, VerificationStatus
    from wishes.models import (
        Campaign,
        Child,
        Claim,
        ClaimStatus,
        Region,
        School,
        Wish,
        WishCategory,
        WishStatus,
    )

    region = Region.objects.create(name="花木街道")
    school = School.objects.create(name=SCHOOL, region=region)
    export = Campaign.objects.create(
        year=2026,
        name="2026 圆梦季",
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2026, 12, 31),
    )
    other = Campaign.objects.create(
        year=2025,
        name="2025 圆梦季",
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2025, 12, 31),
    )
    children = Child.objects.bulk_create(
        Child(
            real_name=f"张小明{number}",
            alias="小张同学",
            gender="boy",
            birth_year=2016,
            grade=3,
            school=school,
            home_region=region,
            guardian_name="张大明",
            guardian_phone="13812345678",
            hardship_category="low_income",
        )
        for number in range(1000)
    )
    sponsors = Sponsor.objects.bulk_create(
        Sponsor(
            kind=SponsorKind.UNIT,
            name=f"爱心单位{number}",
            unit_category=UnitCategory.ENTERPRISE,
            region=region,
            contact_name="李老师",
            phone="13900001111",
            email=f"sponsor{number}@example.org",
            status=VerificationStatus.VERIFIED,
        )
        for number in range(100)
    )
    now = timezone.now()
    for start in range(0, wishes, 5000):
        Wish.objects.bulk_create(
            Wish(
                child=children[number % len(children)],
                campaign=export if number < EXPORT_WISHES else other,
                code=f"HM{2026 if number < EXPORT_WISHES else 2025}-{number:06d}",
                category=WishCategory.BOOKS,
                child_words="我想要一套科普书",
                public_text="想要一套科普书",
                estimated_value=Decimal("120.00"),
                status=WishStatus.CLAIMED if number < OVERDUE_CLAIMS else WishStatus.OPEN,
                published_at=now,
            )
            for number in range(start, min(wishes, start + 5000))
        )
    claimed = Wish.objects.filter(status=WishStatus.CLAIMED).order_by("pk")
    today = timezone.localdate()
    Claim.objects.bulk_create(
        (
            Claim(
                wish=wish,
                sponsor=sponsors[number % len(sponsors)],
                status=ClaimStatus.ACTIVE,
                promised_on=today - datetime.timedelta(days=1 + number % 200),
            )
            for number, wish in enumerate(claimed.iterator())
        ),
        batch_size=2000,
    )


def _import_file() -> bytes:
    from openpyxl import Workbook

    from wishes.importing.columns import COLUMNS

    row = {
        "gender": "女",
        "birth_year": 2015,
        "grade": 4,
        "class_name": "四(1)班",
        "school": SCHOOL,
        "address": "东绣路88弄5号",
        "guardian_name": "李建国",
        "hardship_category": "单亲家庭",
        "category": "图书",
        "child_words": "我是四(1)班的同学，我想要一套百科全书。",
        "estimated_value": 150,
        "consent": "是",
        "consent_date": "2025-09-01",
        "publish_wish": "是",
        "share_photos": "是",
        "publish_photos": "否",
        "share_letter": "是",
    }
    # Saved the way Excel and WPS save the filled-in template: with the sheet's size at its
    # top and one table of shared strings. (A write-only workbook has neither: to learn its
    # size openpyxl reads the whole sheet once more, and reads every text cell inline.)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([column.header for column in COLUMNS])
    for number in range(IMPORT_ROWS):
        cells = row | {"real_name": f"王同学{number:04d}", "guardian_phone": f"139{number:08d}"}
        sheet.append([cells.get(column.key, "") for column in COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def job_export() -> dict:
    from wishes.models import Campaign
    from wishes.reports.exports import campaign_workbook_bytes

    campaign = Campaign.objects.get(year=2026)
    start = time.monotonic()
    data = campaign_workbook_bytes(campaign)
    return {"seconds": time.monotonic() - start, "detail": f"{len(data) / 1e6:.1f} MB .xlsx"}


def job_import() -> dict:
    from django.contrib.auth import get_user_model
    from django.core.files.base import ContentFile
    from django.db import connection

    from wishes.importing.children import begin_import, check_batch, import_batch
    from wishes.models import Campaign, ImportBatch

    user = get_user_model().objects.create_user(f"bench-{secrets.token_hex(4)}")
    batch = ImportBatch(
        original_name="bench.xlsx", campaign=Campaign.objects.get(year=2026), created_by=user
    )
    batch.file.save("bench.xlsx", ContentFile(_import_file()), save=False)
    batch.save()
    start = time.monotonic()
    queries = 0

    def count(execute, sql, params, many, context):
        # Only counted: capturing them would format every query's text with its values.
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        check_batch(batch_id=batch.pk)
        begin_import(batch_id=batch.pk, by=user)
        batch = import_batch(batch_id=batch.pk, by=user)
    seconds = time.monotonic() - start
    return {
        "seconds": seconds,
        "detail": f"{batch.status}, {batch.rows_done} rows, {queries} queries",
    }


def job_digest() -> dict:
    from django.conf import settings
    from django.core import mail
    from django.utils import timezone

    from wishes.claiming.follow_up import report_overdue

    settings.STAFF_NOTIFY_EMAILS = ["office@example.org"]
    mail.outbox = []
    start = time.monotonic()
    rows = report_overdue(timezone.localdate())
    seconds = time.monotonic() - start
    # The locmem backend keeps what was sent (after the job's commit) in mail.outbox.
    outbox = getattr(mail, "outbox", [])
    body = outbox[0].body if outbox else ""
    return {
        "seconds": seconds,
        "detail": f"{len(rows)} claims, body {len(body.encode())} bytes",
    }


JOBS = {
    "export": (f"campaign export, {EXPORT_WISHES:,} wishes", job_export),
    "import": (f"import of {IMPORT_ROWS:,} rows (check + import)", job_import),
    "digest": (f"overdue digest, {OVERDUE_CLAIMS:,} active overdue claims", job_digest),
}


def run_job(name: str) -> None:
    """In the child process: run one job and print its result as JSON."""
    _setup_django()
    # The baseline: Django and the project loaded, before the job.
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = JOBS[name][1]()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime
    print(
        json.dumps(
            result | {"peak_mb": usage.ru_maxrss / 1024, "baseline_mb": before / 1024, "cpu": cpu}
        )
    )


def _copy_of_template(url: str) -> bool:
    """With --reuse: the database made again from its filled template; False if none yet."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        if not admin.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [f"{name}_filled"]
        ).fetchone():
            return False
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{name}_filled"')
    return True


def _keep_as_template(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}_filled" TEMPLATE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wishes", type=int, default=100_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the filled database as a template (PostgreSQL)"
    )
    parser.add_argument("--job", choices=[*JOBS, "load"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job == "load":
        _setup_django()
        load(args.wishes)
        return
    if args.job:
        run_job(args.job)
        return
    if args.wishes < EXPORT_WISHES:
        parser.error(f"--wishes must be at least {EXPORT_WISHES}")
    workdir = Path(tempfile.mkdtemp(prefix="huamu-batch-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"HUAMU_TESTING", "DEBUG"}},
        "DATABASE_URL": url,
        # As a production worker runs them: with DEBUG on, Django would also keep the text of
        # every query (a 500-row insert is formatted with all its values).
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "MEDIA_ROOT": str(workdir / "media"),
        "CACHE_URL": "locmem://",
        "LOG_LEVEL": "WARNING",
        # Mail is kept in memory (mail.outbox), so the digest's size can be measured.
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    if args.reuse and not url.startswith("postgres"):
        parser.error("--reuse needs a PostgreSQL --database-url")
    python = sys.executable
    script = str(Path(__file__).resolve())
    reused = args.reuse and _copy_of_template(url)
    if not reused:
        subprocess.run(  # noqa: S603 - our own interpreter and script
            [python, "manage.py", "flush", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=False
        )
    subprocess.run(  # noqa: S603
        [python, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    if not reused:
        start = time.monotonic()
        subprocess.run(  # noqa: S603
            [python, script, "--job", "load", "--wishes", str(args.wishes)], env=env, check=True
        )
        print(
            f"loaded {args.wishes:,} wishes in {time.monotonic() - start:.1f} s", file=sys.stderr
        )
        if args.reuse:
            _keep_as_template(url)
    lines = [
        f"| job ({args.wishes:,} wishes, {url.split(':', 1)[0]}) | time (s) "
        "| CPU of the process (s) | peak RSS (MB) | of which before the job | detail |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, (label, _function) in JOBS.items():
        output = subprocess.run(  # noqa: S603
            [python, script, "--job", name],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        result = json.loads(output.strip().splitlines()[-1])
        lines.append(
            f"| {label} | {result['seconds']:.1f} | {result['cpu']:.1f} "
            f"| {result['peak_mb']:.0f} "
            f"| {result['baseline_mb']:.0f} | {result['detail']} |"
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
