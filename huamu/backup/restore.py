"""Restoring a backup: check the archive, put back the database and the media, check the counts.

The archive is checked against its manifest and unpacked in full before anything is
overwritten, so a damaged archive changes nothing; the restored database is checked against
the manifest afterwards.
"""

import datetime
import json
import shutil
import sqlite3
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.loader import MigrationLoader
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from huamu.backup.common import (
    DATABASE_FILES,
    ENGINE_LABELS,
    FORMAT,
    MANIFEST_NAME,
    MEDIA_NAME,
    BackupError,
    check_vendor,
    count_media_files,
    current_state,
    media_root,
    sha256_of,
    sqlite_path,
)
from huamu.backup.postgresql import find_tool, pg_command, run_tool

if TYPE_CHECKING:  # only for the type checker: importing the backend needs psycopg
    from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLWrapper

# What every manifest this version reads must hold.
REQUIRED_KEYS = {"format", "created_at", "engine", "database_file", "counts", "migrations"}


def _damaged(archive: Path, error: Exception | str) -> BackupError:
    return BackupError(
        _("The archive %(path)s is damaged or incomplete: %(error)s")
        % {"path": archive, "error": error}
    )


def read_manifest(archive: Path) -> dict[str, Any]:
    """Read and check the manifest at the start of an archive."""
    if not archive.is_file():
        raise BackupError(_("There is no archive at %(path)s.") % {"path": archive})
    try:
        with tarfile.open(archive, "r:gz") as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST_NAME or not first.isfile():
                raise BackupError(
                    _("%(path)s is not a backup of this application: it has no manifest.")
                    % {"path": archive}
                )
            # A regular file, so there is something to read.
            manifest = json.load(cast(IO[bytes], tar.extractfile(first)))
    except (tarfile.TarError, EOFError, OSError, zlib.error, ValueError) as error:
        raise _damaged(archive, error) from error
    if not isinstance(manifest, dict) or REQUIRED_KEYS - manifest.keys():
        raise BackupError(_("The manifest of %(path)s is incomplete.") % {"path": archive})
    if manifest["format"] != FORMAT:
        raise BackupError(
            _("The archive has format %(found)s; this version reads format %(format)s.")
            % {"found": manifest["format"], "format": FORMAT}
        )
    try:
        datetime.datetime.fromisoformat(manifest["created_at"])
        valid = manifest["database_file"] == DATABASE_FILES.get(manifest["engine"])
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise BackupError(_("The manifest of %(path)s is incomplete.") % {"path": archive})
    manifest.setdefault("media", {"included": False, "files": 0, "bytes": 0})
    return manifest


def check_restorable(manifest: dict, *, using: str = "default") -> None:
    """Refuse, before anything changes, an archive this site cannot restore."""
    vendor = check_vendor(connections[using], outside_transaction=False)
    if manifest["engine"] != vendor:
        raise BackupError(
            _(
                "This archive holds a %(archive)s database, but this site uses %(current)s. "
                "An archive restores only into the same kind of database. To move between "
                "SQLite and PostgreSQL, use dumpdata and loaddata as docs/backups.md describes."
            )
            % {
                "archive": ENGINE_LABELS.get(manifest["engine"], manifest["engine"]),
                "current": ENGINE_LABELS[vendor],
            }
        )
    known = MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    unknown = [
        f"{app}.{name}" for app, name in manifest["migrations"].items() if (app, name) not in known
    ]
    if unknown:
        raise BackupError(
            _(
                "This archive was made by a newer version of the application; these migrations "
                "are unknown here: %(names)s. Install that version first, then restore."
            )
            % {"names": ", ".join(unknown)}
        )
    if manifest["media"]["included"] and media_root() is None:
        raise BackupError(
            _(
                "The archive holds media files, but this site keeps its files in external "
                "storage; restore them there by hand."
            )
        )


def _members(tar: tarfile.TarFile, database_file: str) -> Iterator[tarfile.TarInfo]:
    """Yield the archive's members, refusing anything a backup never contains."""
    for member in tar:
        name = member.name
        if name not in (MANIFEST_NAME, database_file, MEDIA_NAME) and not name.startswith(
            f"{MEDIA_NAME}/"
        ):
            raise BackupError(
                _("The archive holds an unexpected entry %(name)s; it was not restored.")
                % {"name": name}
            )
        yield member


def _extract(archive: Path, manifest: dict, target: Path) -> None:
    try:
        with tarfile.open(archive, "r:gz") as tar:
            # "data" refuses absolute paths, links out of the folder and device files.
            tar.extractall(target, members=_members(tar, manifest["database_file"]), filter="data")
    except (tarfile.TarError, EOFError, zlib.error) as error:
        raise _damaged(archive, error) from error
    except OSError as error:
        raise BackupError(
            _("Could not unpack the archive: %(error)s") % {"error": error.strerror or error}
        ) from error


def _check_unpacked(archive: Path, manifest: dict, work: Path) -> None:
    dump = work / manifest["database_file"]
    if not dump.is_file():
        raise _damaged(archive, _("the database is missing"))
    if manifest.get("database_sha256") and sha256_of(dump) != manifest["database_sha256"]:
        raise _damaged(archive, _("the database does not match its checksum"))
    if manifest["media"]["included"]:
        found = count_media_files(work / MEDIA_NAME)
        if found != manifest["media"]["files"]:
            raise _damaged(
                archive,
                _("it holds %(found)d media files instead of %(expected)d")
                % {"found": found, "expected": manifest["media"]["files"]},
            )


def _restore_sqlite(connection: BaseDatabaseWrapper, dump: Path) -> None:
    target = sqlite_path(connection)
    try:
        with closing(sqlite3.connect(dump)) as source:
            if source.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise BackupError(_("The database in the archive is damaged."))
            connection.close()
            with closing(sqlite3.connect(target, timeout=20)) as destination:
                # The backup API in reverse: page by page, under SQLite's own locks.
                source.backup(destination)
    except sqlite3.Error as error:
        raise BackupError(
            _("Could not restore the SQLite database: %(error)s") % {"error": error}
        ) from error


_SESSIONS_SQL = (
    "SELECT coalesce(nullif(application_name, ''), '?') || '@' "
    "|| coalesce(host(client_addr), 'local') FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def _other_sessions(settings_dict: dict) -> list[str]:
    """Who else is connected to the database: app servers, workers, consoles."""
    # psql, not Django's connection: a connection pool of this process would count as others.
    command, env = pg_command(
        find_tool("psql"),
        settings_dict,
        "--no-psqlrc",
        "--tuples-only",
        "--no-align",
        f"--command={_SESSIONS_SQL}",
    )
    return [line for line in run_tool(command, env=env).splitlines() if line.strip()]


def _close_connections(connection: "PostgreSQLWrapper") -> None:
    connection.close()
    # A psycopg pool keeps idle connections of its own; they would hold the database.
    if getattr(connection, "pool", None) is not None:
        connection.close_pool()


def _restore_postgresql(connection: "PostgreSQLWrapper", dump: Path) -> None:
    tool = find_tool("pg_restore")
    _close_connections(connection)
    # pg_restore would wait, without end, for the locks of open sessions; and a site still
    # running would write into a database being replaced.
    others = _other_sessions(connection.settings_dict)
    if others:
        raise BackupError(
            ngettext(
                "%(count)d other connection to the database is open (%(who)s). Stop the app "
                "servers and workers first, then restore.",
                "%(count)d other connections to the database are open (%(who)s). Stop the app "
                "servers and workers first, then restore.",
                len(others),
            )
            % {"count": len(others), "who": ", ".join(others)}
        )
    # Reading the table of contents proves the dump is whole before anything is dropped.
    listing, env = pg_command(tool, connection.settings_dict, "--list", str(dump), connect=False)
    run_tool(listing, env=env)
    command, env = pg_command(
        tool,
        connection.settings_dict,
        "--clean",
        "--if-exists",
        "--no-owner",
        # Grants name roles that a new server may not have; the restoring role owns it all.
        "--no-privileges",
        # All or nothing: an error rolls the whole restore back.
        "--single-transaction",
        "--exit-on-error",
        str(dump),
    )
    run_tool(command, env=env)


def _replace_media(source: Path, root: Path) -> None:
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    # The folder itself stays (it may be a mount point); its content is replaced.
    for entry in root.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    if source.is_dir():
        for entry in source.iterdir():
            shutil.move(entry, root / entry.name)


def _has_table(table: str) -> bool:
    with connections["default"].cursor() as cursor:
        return table in connections["default"].introspection.table_names(cursor)


def _clear_caches() -> None:
    # Cached pages still show the data the restore replaced: a wish that the restored
    # database has as claimed could be offered again from the cache.
    for alias in caches:
        cache = caches[alias]
        # A database cache's table is its LOCATION.
        table = caches.settings[alias].get("LOCATION", "")
        if isinstance(cache, DatabaseCache) and not _has_table(table):
            # No cache table (createcachetable not run yet): nothing can be stale.
            continue
        try:
            cache.clear()
        except Exception as error:  # Whatever the backend, it means the same here.
            raise BackupError(
                _(
                    "The database and the files were restored, but the cache could not be "
                    "emptied: %(error)s. Empty it (or restart it) before starting the site."
                )
                % {"error": error}
            ) from error


def restore_backup(archive: Path, *, using: str = "default") -> dict[str, int]:
    """Replace the database and the media folder with an archive's; return the checked counts."""
    manifest = read_manifest(archive)
    check_restorable(manifest, using=using)
    connection = connections[using]
    root = media_root()
    with tempfile.TemporaryDirectory(prefix="huamu-restore-") as folder:
        work = Path(folder)
        # Unpacked and checked in full first: a damaged archive changes nothing.
        _extract(archive, manifest, work)
        _check_unpacked(archive, manifest, work)
        dump = work / manifest["database_file"]
        if check_vendor(connection) == "sqlite":
            _restore_sqlite(connection, dump)
        else:
            # check_vendor allows SQLite and PostgreSQL only.
            _restore_postgresql(cast("PostgreSQLWrapper", connection), dump)
        if manifest["media"]["included"] and root is not None:
            try:
                _replace_media(work / MEDIA_NAME, root)
            except OSError as error:
                raise BackupError(
                    _(
                        "The database was restored, but the media folder %(path)s could not be "
                        "replaced: %(error)s"
                    )
                    % {"path": root, "error": error.strerror or error}
                ) from error
    # Content type ids may differ from the ones cached before the restore.
    ContentType.objects.clear_cache()
    _clear_caches()
    counts, migrations = current_state(using)
    expected = manifest["counts"]
    wrong = [
        f"{label} {counts.get(label)} ≠ {number}"
        for label, number in expected.items()
        if counts.get(label) != number
    ]
    if wrong or migrations != manifest["migrations"]:
        raise BackupError(
            _("The restored database does not match the archive's manifest: %(details)s")
            % {"details": ", ".join(wrong) or _("migrations differ")}
        )
    return {label: counts[label] for label in expected}
