"""What backup and restore share: the archive's names, the error, what the database and media hold.

The manifest of an archive records the row counts and migrations that `read_state` reads, so
a restore can check the database it put back against the one that was saved.
"""

import hashlib
import importlib.metadata
import os
import tomllib
from collections.abc import Callable
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper
from django.db.migrations.executor import MigrationExecutor
from django.utils.translation import gettext as _

FORMAT = 1
MANIFEST_NAME = "manifest.json"
MEDIA_NAME = "media"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
ENGINE_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
# Rows counted in the manifest and checked after a restore: the accounts and the domain.
COUNTED_APPS = ("auth", "sponsors", "wishes")

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


def django_fetch(cursor: CursorWrapper) -> Fetch:
    """A Fetch that runs its SQL on a Django cursor."""

    def fetch(sql: str) -> list[tuple]:
        cursor.execute(sql)
        return cursor.fetchall()

    return fetch


def current_state(using: str = "default") -> tuple[dict[str, int], dict[str, str]]:
    """Row counts and migrations of the configured database, as read_state gives them."""
    connection = connections[using]
    with connection.cursor() as cursor:
        return read_state(django_fetch(cursor), connection.vendor)


def check_vendor(connection: BaseDatabaseWrapper, *, outside_transaction: bool = True) -> str:
    """The connection's vendor; refuse an engine backups do not support, or an open transaction."""
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


def sqlite_path(connection: BaseDatabaseWrapper) -> Path:
    """The file of a SQLite database; refuse an in-memory one."""
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


def media_listing(root: Path | None) -> tuple[list[Path], int, int]:
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


def count_media_files(root: Path | None) -> int:
    """How many files the media folder holds now."""
    return media_listing(root)[1]


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def database_label(using: str = "default") -> str:
    """Where the configured database is, for messages: its file, or its name and server."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        return str(sqlite_path(connection))
    settings_dict = connection.settings_dict
    server = settings_dict.get("HOST") or "localhost"
    if settings_dict.get("PORT"):
        server = f"{server}:{settings_dict['PORT']}"
    return f"{settings_dict.get('NAME')} @ {server}"


def pending_migrations(using: str = "default") -> list[str]:
    """Migrations of this code that the database has not applied yet."""
    executor = MigrationExecutor(connections[using])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]
