"""`manage.py backup` and `restore`: a round trip on the configured engine, and every refusal.

These tests run against whichever database the suite uses: SQLite by default, PostgreSQL
(through pg_dump and pg_restore) when DATABASE_URL points there. They need real commits, so
they are transactional.
"""

import errno
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import stat
import subprocess
import sys
import tarfile
from contextlib import closing
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.utils import translation

from huamu.backup import DATABASE_FILES, MANIFEST_NAME, current_state, pg_command, read_state
from huamu.backup import create as backup_create
from sponsors.models import Sponsor
from tests.factories import ClaimFactory, RegionFactory, SponsorFactory, WishFactory
from wishes.models import Claim, Wish
from wishes.reports import tallies

transactional = pytest.mark.django_db(transaction=True)

PHOTO = b"\xff\xd8\xff\xe0 a photo of a fulfilment \xff\xd9"
PHOTO_NAME = "photos/2026/11/0123456789abcdef.jpg"
# The documented move from SQLite to PostgreSQL (docs/backups.md), word for word.
DUMP_OPTIONS = [
    "--natural-foreign",
    "--natural-primary",
    "-e",
    "contenttypes",
    "-e",
    "auth.permission",
    "-e",
    "sessions",
    # The running totals are recounted from the data on the new side (check_tallies).
    "-e",
    "wishes.tally",
]

# The old site: migrate, load the demo data, then dumpdata with the options that follow.
OLD_SITE = """
import sys, django
from django.core.cache import cache
from django.core.management import call_command
django.setup()
call_command("migrate", interactive=False, verbosity=0)
call_command("seed_demo", verbosity=0)
call_command("dumpdata", *sys.argv[2:], output=sys.argv[1])
"""


@pytest.fixture(autouse=True)
def _dump_tools():
    if connection.vendor == "postgresql" and not (
        shutil.which("pg_dump") and shutil.which("pg_restore")
    ):
        pytest.skip(
            "pg_dump and pg_restore are not installed: install postgresql-client to test "
            "PostgreSQL backups"
        )


@pytest.fixture(autouse=True)
def _no_other_sessions(request):
    # Restore refuses while other sessions use the database, as it should on a real site.
    # In one pytest run, the browser tests' live server thread keeps its connection to the
    # test database open: end such leftovers first, like stopping the app servers.
    if connection.vendor != "postgresql" or not request.node.get_closest_marker("django_db"):
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def seeded(db):
    """Some of everything: open wishes, a claim, a pending sponsor and one private photo."""
    wish = WishFactory(open=True)
    WishFactory(open=True)
    ClaimFactory()
    SponsorFactory()
    photo = Path(settings.MEDIA_ROOT) / PHOTO_NAME
    photo.parent.mkdir(parents=True)
    photo.write_bytes(PHOTO)
    return {"wish": wish, "photo": photo}


def backup(tmp_path: Path) -> Path:
    """Run `manage.py backup` and return the archive named on its last line."""
    out = io.StringIO()
    call_command("backup", "--output", str(tmp_path / "backups"), stdout=out)
    return Path(out.getvalue().strip().splitlines()[-1])


def restore(archive: Path, *args: str, out: io.StringIO | None = None) -> str:
    out = out or io.StringIO()
    with translation.override("en"):
        call_command("restore", str(archive), *args, stdout=out)
    return out.getvalue()


def refused(archive: Path, *args: str) -> str:
    """Run a restore that must fail; return its message."""
    with translation.override("en"), pytest.raises(CommandError) as info:
        call_command("restore", str(archive), *args, stdout=io.StringIO())
    return str(info.value)


def make_archive(
    target: Path,
    *,
    database: bytes = b"not really a database",
    extra: dict[str, bytes] | None = None,
    **changes,
) -> Path:
    """Write an archive shaped like `backup`'s for this site, with changes to its manifest."""
    now_counts, migrations = current_state()
    manifest = {
        "format": 1,
        "created_at": "2026-11-26T04:00:00+00:00",
        "app_version": "0.1.0",
        "engine": connection.vendor,
        "database_file": DATABASE_FILES[connection.vendor],
        "database_sha256": hashlib.sha256(database).hexdigest(),
        "migrations": migrations,
        "counts": now_counts,
        "media": {"included": True, "files": 1, "bytes": len(PHOTO)},
        **changes,
    }
    entries = {
        MANIFEST_NAME: json.dumps(manifest).encode(),
        manifest["database_file"]: database,
        f"media/{PHOTO_NAME}": PHOTO,
        **(extra or {}),
    }
    with tarfile.open(target, "w:gz") as tar:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


def counts() -> dict[str, int]:
    return current_state()[0]


@transactional
def test_restore_brings_back_the_rows_and_files_of_the_backup(tmp_path, seeded):
    archive = backup(tmp_path)
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile(MANIFEST_NAME))
    # After the backup: a new wish, an edited one, a lost photo and a file that was not there.
    WishFactory(open=True)
    Wish.objects.filter(pk=seeded["wish"].pk).update(public_text="改过的文字")
    seeded["photo"].unlink()
    stray = Path(settings.MEDIA_ROOT) / "letters" / "later.jpg"
    stray.parent.mkdir()
    stray.write_bytes(b"later")
    cache.set("public-page", "the wish list as it was before the restore")

    output = restore(archive, "--yes")

    assert {label: counts()[label] for label in manifest["counts"]} == manifest["counts"]
    assert Wish.objects.count() == manifest["counts"]["wishes.Wish"] == 3
    assert Wish.objects.get(pk=seeded["wish"].pk).public_text == "想要一套科普书"
    assert Claim.objects.count() == 1
    assert seeded["photo"].read_bytes() == PHOTO
    assert not stray.exists()
    assert not stray.parent.exists()
    assert cache.get("public-page") is None
    assert "wishes.Wish: 3" in output
    assert "every row count matches the manifest" in output
    # The site keeps working: new rows get fresh ids after the restored ones.
    assert WishFactory(open=True).pk > seeded["wish"].pk


@transactional
def test_manifest_records_engine_migrations_counts_and_media(tmp_path, seeded):
    archive = backup(tmp_path)

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile(MANIFEST_NAME))
    assert names[0] == MANIFEST_NAME
    assert DATABASE_FILES[connection.vendor] in names
    assert f"media/{PHOTO_NAME}" in names
    assert manifest["engine"] == connection.vendor
    assert manifest["created_at"]
    assert manifest["app_version"]
    on_disk = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    assert manifest["migrations"]["wishes"] == max(n for a, n in on_disk if a == "wishes")
    assert manifest["migrations"]["sponsors"] == max(n for a, n in on_disk if a == "sponsors")
    assert manifest["counts"]["wishes.Wish"] == 3
    assert manifest["counts"]["wishes.Claim"] == 1
    assert manifest["counts"]["sponsors.Sponsor"] == Sponsor.objects.count() == 2
    assert manifest["counts"]["auth.User"] == get_user_model().objects.count()
    assert manifest["media"] == {"included": True, "files": 1, "bytes": len(PHOTO)}


@transactional
def test_archive_is_readable_by_its_owner_only_whatever_the_umask(tmp_path, seeded):
    previous = os.umask(0)
    try:
        archive = backup(tmp_path)
    finally:
        os.umask(previous)

    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    assert re.fullmatch(r"huamu-backup-\d{8}-\d{6}\.tar\.gz", archive.name)
    assert stat.S_IMODE(archive.parent.stat().st_mode) == 0o700


@transactional
def test_site_without_a_media_folder_is_backed_up_and_restored(tmp_path):
    WishFactory(open=True)
    assert not Path(settings.MEDIA_ROOT).exists()
    archive = backup(tmp_path)
    WishFactory(open=True)

    restore(archive, "--yes")

    assert Wish.objects.count() == 1
    assert list(Path(settings.MEDIA_ROOT).iterdir()) == []


# The refusals below happen before anything is overwritten, so they need no real commit:
# each test's transaction is still there to compare with afterwards.


def test_restore_without_yes_says_what_it_would_overwrite_and_changes_nothing(tmp_path, seeded):
    archive = make_archive(tmp_path / "backup.tar.gz")
    WishFactory(open=True)
    seeded["photo"].unlink()
    before = counts()
    out = io.StringIO()

    with pytest.raises(CommandError, match="--yes"):
        restore(archive, out=out)

    assert counts() == before
    assert not seeded["photo"].exists()
    assert "the database" in out.getvalue()
    assert str(settings.MEDIA_ROOT) in out.getvalue()
    assert "0 files now, 1 in the archive" in out.getvalue()


def test_archive_of_the_other_engine_is_refused_with_the_way_to_move(tmp_path, seeded):
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    archive = make_archive(
        tmp_path / "other.tar.gz", engine=other, database_file=DATABASE_FILES[other]
    )
    before = counts()

    message = refused(archive, "--yes")

    assert "SQLite" in message
    assert "PostgreSQL" in message
    assert "dumpdata" in message
    assert "docs/backups.md" in message
    assert counts() == before
    assert seeded["photo"].read_bytes() == PHOTO


def test_archive_of_a_newer_version_is_refused(tmp_path, seeded):
    migrations = {**current_state()[1], "wishes": "0999_from_the_future"}
    archive = make_archive(tmp_path / "newer.tar.gz", migrations=migrations)

    message = refused(archive, "--yes")

    assert "wishes.0999_from_the_future" in message


def test_damaged_archive_changes_nothing(tmp_path, seeded):
    archive = make_archive(tmp_path / "backup.tar.gz", database=os.urandom(200_000))
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    seeded["photo"].write_bytes(b"the current photo")
    before = counts()

    message = refused(archive, "--yes")

    assert "damaged or incomplete" in message
    assert counts() == before
    assert seeded["photo"].read_bytes() == b"the current photo"


def test_archive_with_a_path_out_of_the_media_folder_is_refused(tmp_path, seeded):
    escaped = tmp_path / "escaped.txt"
    archive = make_archive(tmp_path / "evil.tar.gz", extra={"media/../../escaped.txt": b"x"})

    message = refused(archive, "--yes")

    assert "damaged or incomplete" in message
    assert not escaped.exists()
    assert seeded["photo"].read_bytes() == PHOTO


def test_archive_with_an_unexpected_entry_is_refused(tmp_path, seeded):
    archive = make_archive(tmp_path / "odd.tar.gz", extra={"huamu/settings.py": b"DEBUG = True"})

    message = refused(archive, "--yes")

    assert "unexpected entry huamu/settings.py" in message


def test_archive_with_a_wrong_database_checksum_is_refused(tmp_path, seeded):
    archive = make_archive(tmp_path / "tampered.tar.gz", database_sha256="0" * 64)

    message = refused(archive, "--yes")

    assert "checksum" in message


def test_file_that_is_no_backup_is_refused(tmp_path):
    archive = tmp_path / "photos.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.addfile(tarfile.TarInfo("photo.jpg"), io.BytesIO(b""))

    message = refused(archive, "--yes")

    assert "not a backup of this application" in message


def test_missing_archive_is_a_clear_error(tmp_path):
    message = refused(tmp_path / "nothing.tar.gz", "--yes")

    assert "There is no archive" in message


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="other sessions matter on PostgreSQL only"
)
@transactional
def test_restore_refuses_while_the_site_is_still_connected(tmp_path, seeded):
    archive = make_archive(tmp_path / "backup.tar.gz")
    database = connection.settings_dict
    with psycopg.connect(
        dbname=database["NAME"],
        host=database["HOST"] or None,
        port=database["PORT"] or None,
        user=database["USER"] or None,
        password=database["PASSWORD"] or None,
        application_name="gunicorn",
    ):
        message = refused(archive, "--yes")

    assert "1 other connection to the database is open (gunicorn@" in message
    assert "Stop the app servers" in message
    assert Wish.objects.count() == 3


@transactional
def test_full_disk_leaves_no_half_written_archive(tmp_path, seeded, monkeypatch):
    def no_space(descriptor):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(backup_create.os, "fsync", no_space)

    with translation.override("en"), pytest.raises(CommandError, match="No space left"):
        backup(tmp_path)

    assert list((tmp_path / "backups").iterdir()) == []


def test_postgresql_tools_get_the_password_from_the_environment_only():
    database = {
        "HOST": "db.internal",
        "PORT": 5433,
        "USER": "huamu",
        "PASSWORD": "s3cret-pass",
        "NAME": "huamu",
        "OPTIONS": {"sslmode": "require"},
    }

    command, env = pg_command("/usr/bin/pg_dump", database, "--format=custom")

    assert not any("s3cret-pass" in argument for argument in command)
    assert env["PGPASSWORD"] == "s3cret-pass"
    assert (env["PGHOST"], env["PGPORT"], env["PGUSER"]) == ("db.internal", "5433", "huamu")
    assert env["PGSSLMODE"] == "require"
    assert command == ["/usr/bin/pg_dump", "--no-password", "--dbname=huamu", "--format=custom"]


@pytest.mark.slow
@transactional
def test_demo_data_moves_from_sqlite_with_dumpdata_and_loaddata(tmp_path):
    # The other side runs in its own process on a SQLite file; this side is the suite's
    # database, so with DATABASE_URL on PostgreSQL this is the real move to PostgreSQL.
    source = tmp_path / "old.sqlite3"
    fixture = tmp_path / "huamu.json"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{source}",
        "MEDIA_ROOT": str(tmp_path / "old-media"),
        "HUAMU_TESTING": "true",
        "DJANGO_SETTINGS_MODULE": "huamu.settings",
    }
    env.pop("TEST_DATABASE_NAME", None)
    # One process for the three commands: starting Django three times costs seconds.
    subprocess.run(  # noqa: S603 - this interpreter running fixed code
        [sys.executable, "-c", OLD_SITE, str(fixture), *DUMP_OPTIONS],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
    )
    with closing(sqlite3.connect(source)) as old:
        expected, _migrations = read_state(lambda sql: old.execute(sql).fetchall(), "sqlite")
        old_users = old.execute("SELECT id, username FROM auth_user ORDER BY id").fetchall()

    call_command("loaddata", str(fixture), verbosity=0)
    call_command("check_tallies", stdout=io.StringIO())

    loaded = counts()
    assert loaded.pop("wishes.Tally") > 1
    assert loaded == {label: n for label, n in expected.items() if label != "wishes.Tally"}
    assert expected["wishes.Wish"] > 0
    # The front and impact pages' figures are those of the moved data.
    assert tallies.current(tallies.NAMES) == +tallies.recount()
    # Users travel by natural key (username), so their ids may differ; the links do not.
    users = get_user_model().objects.order_by("id").values_list("username", flat=True)
    assert list(users) == [username for _id, username in old_users]
    assert (
        get_user_model().objects.get(username="unit").sponsor_member.sponsor.name == "上海科技馆"
    )
    assert Wish.objects.filter(child__school__name="花木中心小学").exists()
    # Sequences continue after the loaded ids (loaddata resets them on PostgreSQL).
    RegionFactory(name="张江镇")
