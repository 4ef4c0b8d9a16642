"""The Chinese catalogue is complete, current and free of fuzzy guesses."""

import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
SOURCES = ["huamu", "wishes", "sponsors", "templates", "manage.py"]


def _entries(path: Path) -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(path)) if not e.obsolete]


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = _entries(CATALOGUE)
    assert entries, "the catalogue is empty"
    untranslated = [e.msgid for e in entries if not e.translated()]
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []


@pytest.mark.slow
def test_catalogue_holds_every_string_of_the_code(tmp_path):
    # Extract the strings afresh in a copy, then compare with what is committed.
    for name in SOURCES:
        source = ROOT / name
        target = tmp_path / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, target)
    (tmp_path / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location", "-v", "0"],
        cwd=tmp_path,
        check=True,
        env={"PATH": "/usr/bin:/bin", "DEBUG": "true", "PYTHONPATH": str(tmp_path)},
    )
    fresh = {e.msgid for e in _entries(tmp_path / "locale/zh_Hans/LC_MESSAGES/django.po")}
    committed = {e.msgid for e in _entries(CATALOGUE)}
    missing = sorted(fresh - committed)
    assert missing == [], "run `make messages-update` and translate the new strings"


def test_the_catalogue_compiles_as_the_build_compiles_it(tmp_path):
    # What `make run` and `make test` do with it: a syntax error stops both.
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("msgfmt (GNU gettext) is not installed")
    result = subprocess.run(  # noqa: S603 - our own catalogue
        [msgfmt, "--check", "-o", str(tmp_path / "django.mo"), str(CATALOGUE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
