"""Run Python code against the settings in a new interpreter, as a server would start.

The settings read the environment once, at import: a test of what a variable does needs a
process of its own, without pytest (which turns the test mode on) and without the variables
the test is about.
"""

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def run_with_settings(
    snippet: str, *, without: set[str] = frozenset(), **env: str
) -> subprocess.CompletedProcess:
    """Run `snippet` in a new Python with DJANGO_SETTINGS_MODULE set, the variables named in
    `without` (and the test flag) removed from this environment, and `env` added."""
    removed = {"HUAMU_TESTING", "DJANGO_SETTINGS_MODULE", *without}
    environment = {key: value for key, value in os.environ.items() if key not in removed}
    environment.update(DJANGO_SETTINGS_MODULE="huamu.settings", **env)
    return subprocess.run(  # noqa: S603 - our own interpreter and a fixed snippet
        [sys.executable, "-c", snippet],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
