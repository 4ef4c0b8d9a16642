"""The PostgreSQL client tools (pg_dump, pg_restore, psql), found and run for backup and restore.

The connection goes through PG* variables; the password in particular never appears on the
command line, where any user of the machine could read it with `ps`.
"""

import os
import shutil
import subprocess
from pathlib import Path

from django.db.backends.postgresql.client import DatabaseClient
from django.utils.translation import gettext as _

from huamu.backup.common import BackupError


def find_tool(name: str) -> str:
    """The full path of a PostgreSQL client tool; refuse, saying how to install it, without it."""
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
    _args, client_env = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    env = {**os.environ, **(client_env or {})}
    for key, variable in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if settings_dict.get(key):
            env[variable] = str(settings_dict[key])
    if not settings_dict.get("NAME"):
        raise BackupError(_("The database settings name no database (NAME is empty)."))
    env["PGDATABASE"] = str(settings_dict["NAME"])
    target = [f"--dbname={settings_dict['NAME']}"] if connect else []
    return [tool, "--no-password", *target, *args], env


def run_tool(command: list[str], *, env: dict[str, str]) -> str:
    """Run a client tool and return what it printed; its error output becomes a BackupError."""
    # The executable is a full path from shutil.which; no shell, no user input in the list.
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise BackupError(
            _("%(tool)s failed: %(error)s")
            % {"tool": Path(command[0]).name, "error": result.stderr.strip()[-2000:]}
        )
    return result.stdout
