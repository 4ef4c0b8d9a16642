"""The README and .env.example list every setting the app reads from the environment."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Read by the test and benchmark tooling only, never set by whoever runs the site.
TOOLING_ONLY = {"HUAMU_TESTING", "TEST_DATABASE_NAME"}


def variables_read_by_settings() -> set[str]:
    source = (ROOT / "huamu" / "settings.py").read_text()
    return (
        set(re.findall(r'env_(?:str|int|positive_int|bool|list)\(\s*"([A-Z0-9_]+)"', source))
        - TOOLING_ONLY
    )


def test_settings_read_variables_at_all():
    assert {"SECRET_KEY", "DATABASE_URL", "DEBUG"} <= variables_read_by_settings()


def test_every_variable_is_in_env_example():
    example = (ROOT / ".env.example").read_text()
    listed = set(re.findall(r"^([A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert sorted(variables_read_by_settings() - listed) == []


def test_every_variable_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    assert sorted(v for v in variables_read_by_settings() if f"`{v}`" not in readme) == []


def test_readme_quick_start_is_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in quick_start.splitlines()[1:]]
    assert [c for c in commands if c] == ["make run", "make test"]
