"""requirements.lock pins, with hashes, every package pyproject.toml asks for."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def pinned() -> dict[str, tuple[str, list[str]]]:
    """Each locked package: its version and the hashes of its files."""
    text = (ROOT / "requirements.lock").read_text()
    locked = {}
    for block in re.split(r"\n(?=\S)", text):
        found = re.match(r"([A-Za-z0-9._-]+)==(\S+)", block)
        if found:
            hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", block)
            locked[canonicalize_name(found[1])] = (found[2], hashes)
    return locked


def required() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    return [Requirement(line) for line in wanted]


def test_every_requirement_is_locked_at_an_allowed_version():
    # Run `make lock` after changing pyproject.toml's dependencies.
    locked = pinned()
    for requirement in required():
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{name} is not in requirements.lock"
        assert requirement.specifier.contains(locked[name][0], prereleases=True), (
            f"requirements.lock has {name}=={locked[name][0]}, pyproject wants {requirement}"
        )


def test_every_locked_package_has_its_hashes():
    locked = pinned()
    assert len(locked) > len(required())
    assert [name for name, (_version, hashes) in locked.items() if not hashes] == []


def test_install_uses_the_lock_only():
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet --require-hashes -r requirements.lock" in makefile
    assert "$(VENV)/.installed: requirements.lock" in makefile
