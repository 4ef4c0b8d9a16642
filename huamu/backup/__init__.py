"""Backups of the whole site: one archive with the database, the private media and a manifest.

The archive holds minors' personal data, so it is written readable by its owner only (0600).
A restore checks the archive against its manifest before it overwrites anything, and checks
the restored database against the manifest afterwards. `create` writes archives, `restore`
reads them back, `postgresql` runs the client tools, and `common` holds what both share;
this package re-exports what the management commands and the tests use.
"""

from huamu.backup.common import (
    DATABASE_FILES,
    ENGINE_LABELS,
    MANIFEST_NAME,
    BackupError,
    count_media_files,
    current_state,
    database_label,
    media_root,
    pending_migrations,
    read_state,
)
from huamu.backup.create import create_backup
from huamu.backup.postgresql import pg_command
from huamu.backup.restore import check_restorable, read_manifest, restore_backup

__all__ = [
    "DATABASE_FILES",
    "ENGINE_LABELS",
    "MANIFEST_NAME",
    "BackupError",
    "check_restorable",
    "count_media_files",
    "create_backup",
    "current_state",
    "database_label",
    "media_root",
    "pending_migrations",
    "pg_command",
    "read_manifest",
    "read_state",
    "restore_backup",
]
