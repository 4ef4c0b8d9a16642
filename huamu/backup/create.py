"""Making a backup: copy the database, list the media, write one archive readable by its owner.

The database copy and its row counts come from one consistent state, so the manifest
describes the dump exactly even while the site keeps writing.
"""

import io
import json
import os
import sqlite3
import tarfile
import tempfile
from contextlib import closing
from pathlib import Path

import django
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django.utils.translation import gettext as _

from huamu.backup.common import (
    DATABASE_FILES,
    FORMAT,
    MANIFEST_NAME,
    MEDIA_NAME,
    BackupError,
    app_version,
    check_vendor,
    django_fetch,
    media_listing,
    media_root,
    read_state,
    sha256_of,
    sqlite_path,
)
from huamu.backup.postgresql import find_tool, pg_command, run_tool

# pg_dump gives up after waiting this long for a lock instead of hanging.
LOCK_TIMEOUT = "60s"


def _dump_sqlite(connection: BaseDatabaseWrapper, target: Path) -> tuple[dict, dict]:
    source_path = sqlite_path(connection)
    if not source_path.exists():
        raise BackupError(_("The database file %(path)s does not exist.") % {"path": source_path})
    try:
        with (
            closing(sqlite3.connect(source_path, timeout=20)) as source,
            closing(sqlite3.connect(target)) as copy,
        ):
            # The online backup API copies a consistent state even while the site writes.
            source.backup(copy)
            # One self-contained file: the copy must not need a -wal file beside it.
            copy.execute("PRAGMA journal_mode=DELETE")
            return read_state(lambda sql: copy.execute(sql).fetchall(), "sqlite")
    except sqlite3.Error as error:
        raise BackupError(
            _("Could not copy the SQLite database: %(error)s") % {"error": error}
        ) from error


def _dump_postgresql(connection: BaseDatabaseWrapper, target: Path) -> tuple[dict, dict]:
    tool = find_tool("pg_dump")
    connection.ensure_connection()
    with connection.cursor() as cursor:
        fetch = django_fetch(cursor)
        # The counts and pg_dump read one snapshot, so the manifest describes the dump exactly
        # even while the site keeps writing.
        cursor.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            snapshot = fetch("SELECT pg_export_snapshot()")[0][0]
            state = read_state(fetch, "postgresql")
            command, env = pg_command(
                tool,
                connection.settings_dict,
                "--format=custom",
                f"--snapshot={snapshot}",
                f"--lock-wait-timeout={LOCK_TIMEOUT}",
                f"--file={target}",
            )
            run_tool(command, env=env)
        finally:
            try:
                cursor.execute("ROLLBACK")
            except DatabaseError:
                # A broken connection ends its transaction anyway; Django opens a new one.
                connection.close()
    return state


def _archive_path(output_dir: Path) -> Path:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    path = output_dir / f"huamu-backup-{stamp}.tar.gz"
    number = 2
    while path.exists():
        path = output_dir / f"huamu-backup-{stamp}-{number}.tar.gz"
        number += 1
    return path


def _write_archive(
    output_dir: Path, manifest: dict, dump: Path, root: Path | None, entries: list[Path]
) -> Path:
    final = _archive_path(output_dir)
    partial = final.with_name(final.name + ".partial")
    # Created 0600 from the start: there is no moment when others could open it.
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.fchmod(descriptor, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
                # The manifest comes first, so reading it never decompresses the rest.
                data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
                info = tarfile.TarInfo(MANIFEST_NAME)
                info.size = len(data)
                info.mode = 0o600
                info.mtime = int(timezone.now().timestamp())
                tar.addfile(info, io.BytesIO(data))
                tar.add(dump, arcname=manifest["database_file"])
                if root is not None and root.is_dir():
                    tar.add(root, arcname=MEDIA_NAME, recursive=False)
                    for path in entries:
                        arcname = f"{MEDIA_NAME}/{path.relative_to(root).as_posix()}"
                        tar.add(path, arcname=arcname, recursive=False)
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, final)
    except FileNotFoundError as error:
        partial.unlink(missing_ok=True)
        raise BackupError(
            _("A file disappeared while the backup ran (%(name)s); run the backup again.")
            % {"name": error.filename}
        ) from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return final


def create_backup(output_dir: Path, *, using: str = "default") -> tuple[Path, dict]:
    """Write one archive of database, media and manifest into output_dir; return it, manifest."""
    connection = connections[using]
    vendor = check_vendor(connection)
    output_dir = Path(output_dir).absolute()
    try:
        output_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(
            _("Cannot create the folder %(path)s: %(error)s")
            % {"path": output_dir, "error": error.strerror}
        ) from error
    with tempfile.TemporaryDirectory(prefix="huamu-backup-") as work:
        dump = Path(work) / DATABASE_FILES[vendor]
        if vendor == "sqlite":
            counts, migrations = _dump_sqlite(connection, dump)
        else:
            counts, migrations = _dump_postgresql(connection, dump)
        root = media_root()
        entries, files, size = media_listing(root)
        manifest = {
            "format": FORMAT,
            "application": "huamu-dream-wishes",
            "app_version": app_version(),
            "django_version": django.get_version(),
            "created_at": timezone.now().isoformat(),
            "engine": vendor,
            "database_file": DATABASE_FILES[vendor],
            "database_sha256": sha256_of(dump),
            "migrations": migrations,
            "counts": counts,
            "media": {"included": root is not None, "files": files, "bytes": size},
        }
        try:
            path = _write_archive(output_dir, manifest, dump, root, entries)
        except OSError as error:
            raise BackupError(
                _("Could not write the archive in %(path)s: %(error)s")
                % {"path": output_dir, "error": error.strerror or error}
            ) from error
    return path, manifest
