"""Backups of the whole site: one archive with the database, the private media and a manifest.

The archive holds minors' personal data, so it is written readable by its owner only (0600).
A restore checks the archive against its manifest before it overwrites anything, and checks
the restored database against the manifest afterwards.
"""

import datetime
import hashlib
import importlib.metadata
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import tomllib
import zlib
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import django
from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.core.files.storage import FileSystemStorage, storages
from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.postgresql.client import DatabaseClient
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

FORMAT = 1
MANIFEST_NAME = "manifest.json"
MEDIA_NAME = "media"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
ENGINE_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# Rows counted in the manifest and checked after a restore: the accounts and the domain.
COUNTED_APPS = ("auth", "sponsors", "wishes")
# pg_dump gives up after waiting this long for a lock instead of hanging.
LOCK_TIMEOUT = "60s"
REQUIRED_KEYS = {"format", "created_at", "engine", "database_file", "counts", "migrations"}

Fetch = Callable[[str], list[tuple]]


class BackupError(Exception):
    """A backup or restore could not be done; the message is translated and says why."""


# --- What the database holds ---------------------------------------------------------------


def counted_tables() -> dict[str, str]:
    """Model label -> table of every concrete model of COUNTED_APPS, link tables included."""
    tables = {}
    for label in COUNTED_APPS:
        for model in apps.get_app_config(label).get_models(include_auto_created=True):
            if model._meta.managed and not model._meta.proxy:
                tables[model._meta.label] = model._meta.db_table
    return dict(sorted(tables.items()))


_TABLES_SQL = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
    "postgresql": "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()",
}


def read_state(fetch: Fetch, vendor: str) -> tuple[dict[str, int], dict[str, str]]:
    """Return the row count of every counted table and the latest migration of every app."""
    existing = {row[0] for row in fetch(_TABLES_SQL[vendor])}
    counts = {}
    for label, table in counted_tables().items():
        # A table of a migration not applied yet has no rows to count.
        if table in existing:
            quoted = '"{}"'.format(table.replace('"', '""'))
            # The table name comes from model metadata, quoted, never from input.
            counts[label] = fetch(f"SELECT COUNT(*) FROM {quoted}")[0][0]  # noqa: S608
    migrations: dict[str, str] = {}
    if "django_migrations" in existing:
        for app, name in fetch("SELECT app, name FROM django_migrations"):
            migrations[app] = max(name, migrations.get(app, name))
    return counts, dict(sorted(migrations.items()))


def _django_fetch(cursor) -> Fetch:
    def fetch(sql: str) -> list[tuple]:
        cursor.execute(sql)
        return cursor.fetchall()

    return fetch


def current_state(using: str = "default") -> tuple[dict[str, int], dict[str, str]]:
    """Row counts and migrations of the configured database, as read_state gives them."""
    connection = connections[using]
    with connection.cursor() as cursor:
        return read_state(_django_fetch(cursor), connection.vendor)


def _vendor(connection: BaseDatabaseWrapper, *, outside_transaction: bool = True) -> str:
    if connection.vendor not in DATABASE_FILES:
        raise BackupError(
            _("Backups support SQLite and PostgreSQL, not %(engine)s.")
            % {"engine": connection.vendor}
        )
    # Another connection does the copying: it would not see uncommitted rows, and a restore
    # would wait for the locks this transaction holds.
    if outside_transaction and connection.in_atomic_block:
        raise BackupError(_("Backups and restores must run outside a database transaction."))
    return connection.vendor


def _sqlite_path(connection: BaseDatabaseWrapper) -> Path:
    name = str(connection.settings_dict["NAME"])
    if not name or name == ":memory:" or "mode=memory" in name:
        raise BackupError(_("An in-memory SQLite database cannot be backed up or restored."))
    return Path(name)


def media_root() -> Path | None:
    """The folder of the uploaded files, or None when they live in external storage."""
    storage = storages["default"]
    if isinstance(storage, FileSystemStorage):
        return Path(storage.location)
    return None


def app_version() -> str | None:
    """The application's version from its package metadata or pyproject.toml, if known."""
    try:
        return importlib.metadata.version("huamu-dream-wishes")
    except importlib.metadata.PackageNotFoundError:
        pass
    try:
        with open(settings.BASE_DIR / "pyproject.toml", "rb") as file:
            return tomllib.load(file)["project"]["version"]
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return None


# --- PostgreSQL tools ----------------------------------------------------------------------


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            _(
                "%(tool)s was not found. Install the PostgreSQL client tools of the server's "
                "version (e.g. apt-get install postgresql-client)."
            )
            % {"tool": name}
        )
    return path


def pg_command(
    tool: str, settings_dict: dict, *args: str, connect: bool = True
) -> tuple[list[str], dict[str, str]]:
    """Command line and environment that point a PostgreSQL tool at the configured database.

    The connection goes through PG* variables; the password in particular never appears on
    the command line, where any user of the machine could read it with `ps`.
    """
    _, client_env = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    env = {**os.environ, **(client_env or {})}
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    if not settings_dict.get("NAME"):
        raise BackupError(_("The database settings name no database (NAME is empty)."))
    env["PGDATABASE"] = str(settings_dict["NAME"])
    target = [f"--dbname={settings_dict['NAME']}"] if connect else []
    return [tool, "--no-password", *target, *args], env


def _run(command: list[str], env: dict[str, str]) -> str:
    # The executable is a full path from shutil.which; no shell, no user input in the list.
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(
            _("%(tool)s failed: %(error)s")
            % {"tool": Path(command[0]).name, "error": result.stderr.strip()[-2000:]}
        )
    return result.stdout


# --- Backup --------------------------------------------------------------------------------


def _dump_sqlite(connection: BaseDatabaseWrapper, target: Path) -> tuple[dict, dict]:
    source_path = _sqlite_path(connection)
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
    tool = _tool("pg_dump")
    connection.ensure_connection()
    with connection.cursor() as cursor:
        fetch = _django_fetch(cursor)
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
            _run(command, env)
        finally:
            try:
                cursor.execute("ROLLBACK")
            except DatabaseError:
                # A broken connection ends its transaction anyway; Django opens a new one.
                connection.close()
    return state


def _media_listing(root: Path | None) -> tuple[list[Path], int, int]:
    """Every folder and file under the media root, and the number and size of the files."""
    if root is None or not root.is_dir():
        return [], 0, 0
    entries: list[Path] = []
    files = size = 0
    for folder, dirnames, filenames in os.walk(root):
        dirnames.sort()
        base = Path(folder)
        entries.extend(base / name for name in dirnames)
        for name in sorted(filenames):
            path = base / name
            entries.append(path)
            if path.is_file() and not path.is_symlink():
                files += 1
                size += path.stat().st_size
    return entries, files, size


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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def create_backup(output_dir: Path, *, using: str = "default") -> tuple[Path, dict]:
    """Write one archive of database, media and manifest into output_dir; return it, manifest."""
    connection = connections[using]
    vendor = _vendor(connection)
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
        entries, files, size = _media_listing(root)
        manifest = {
            "format": FORMAT,
            "application": "huamu-dream-wishes",
            "app_version": app_version(),
            "django_version": django.get_version(),
            "created_at": timezone.now().isoformat(),
            "engine": vendor,
            "database_file": DATABASE_FILES[vendor],
            "database_sha256": _sha256(dump),
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


# --- Restore -------------------------------------------------------------------------------


def _damaged(archive: Path, error: Exception) -> BackupError:
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
            manifest = json.load(tar.extractfile(first))
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
    vendor = _vendor(connections[using], outside_transaction=False)
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


def database_label(using: str = "default") -> str:
    """Where the configured database is, for messages: its file, or its name and server."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        return str(_sqlite_path(connection))
    settings_dict = connection.settings_dict
    server = settings_dict.get("HOST") or "localhost"
    if settings_dict.get("PORT"):
        server = f"{server}:{settings_dict['PORT']}"
    return f"{settings_dict.get('NAME')} @ {server}"


def count_media_files(root: Path | None) -> int:
    """How many files the media folder holds now."""
    return _media_listing(root)[1]


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
    if manifest.get("database_sha256") and _sha256(dump) != manifest["database_sha256"]:
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
    target = _sqlite_path(connection)
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
        _tool("psql"),
        settings_dict,
        "--no-psqlrc",
        "--tuples-only",
        "--no-align",
        f"--command={_SESSIONS_SQL}",
    )
    return [line for line in _run(command, env).splitlines() if line.strip()]


def _close_connections(connection: BaseDatabaseWrapper) -> None:
    connection.close()
    # A psycopg pool keeps idle connections of its own; they would hold the database.
    if getattr(connection, "pool", None) is not None:
        connection.close_pool()


def _restore_postgresql(connection: BaseDatabaseWrapper, dump: Path) -> None:
    tool = _tool("pg_restore")
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
    _run(listing, env)
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
    _run(command, env)


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
    for cache in caches.all():
        if isinstance(cache, DatabaseCache) and not _has_table(cache._table):
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


def pending_migrations(using: str = "default") -> list[str]:
    """Migrations of this code that the database has not applied yet."""
    executor = MigrationExecutor(connections[using])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


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
        if _vendor(connection) == "sqlite":
            _restore_sqlite(connection, dump)
        else:
            _restore_postgresql(connection, dump)
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
