"""Environment variables: strict helpers, and settings that refuse to start half-configured."""

import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from huamu.env import env_bool, env_int, env_list, env_str
from tests.new_python import run_with_settings

PROJECT = Path(__file__).resolve().parents[2]
VARIABLE = "HUAMU_TEST_VARIABLE"


@pytest.mark.parametrize("raw", ["1", "true", "True", "YES", " on "])
def test_env_bool_reads_true_spellings(monkeypatch, raw):
    monkeypatch.setenv(VARIABLE, raw)

    assert env_bool(VARIABLE, default=False) is True


@pytest.mark.parametrize("raw", ["0", "false", "FALSE", "no", "off", ""])
def test_env_bool_reads_false_spellings(monkeypatch, raw):
    monkeypatch.setenv(VARIABLE, raw)

    assert env_bool(VARIABLE, default=True) is False


@pytest.mark.parametrize("default", [True, False])
def test_env_bool_falls_back_to_the_default_when_unset(monkeypatch, default):
    monkeypatch.delenv(VARIABLE, raising=False)

    assert env_bool(VARIABLE, default=default) is default


@pytest.mark.parametrize("raw", ["maybe", "2", "y", "ja"])
def test_env_bool_rejects_anything_else_and_names_the_variable(monkeypatch, raw):
    monkeypatch.setenv(VARIABLE, raw)

    with pytest.raises(ImproperlyConfigured, match=VARIABLE):
        env_bool(VARIABLE)


def test_env_int_reads_a_whole_number(monkeypatch):
    monkeypatch.setenv(VARIABLE, " 42 ")

    assert env_int(VARIABLE, 3) == 42


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_env_int_falls_back_to_the_default_when_unset_or_empty(monkeypatch, raw):
    if raw is None:
        monkeypatch.delenv(VARIABLE, raising=False)
    else:
        monkeypatch.setenv(VARIABLE, raw)

    assert env_int(VARIABLE, 3) == 3


@pytest.mark.parametrize("raw", ["thirty", "3.5", "1e3", "30 claims"])
def test_env_int_rejects_text(monkeypatch, raw):
    monkeypatch.setenv(VARIABLE, raw)

    with pytest.raises(ImproperlyConfigured, match=VARIABLE):
        env_int(VARIABLE, 3)


def test_env_list_splits_on_commas_and_trims(monkeypatch):
    monkeypatch.setenv(VARIABLE, " huamu.example ,www.huamu.example,, ,127.0.0.1 ")

    assert env_list(VARIABLE) == ["huamu.example", "www.huamu.example", "127.0.0.1"]


def test_env_list_of_an_empty_variable_is_empty_not_the_default(monkeypatch):
    monkeypatch.setenv(VARIABLE, "")

    assert env_list(VARIABLE, ["localhost"]) == []


def test_env_list_gives_a_fresh_copy_of_the_default_when_unset(monkeypatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    default = ["localhost"]

    hosts = env_list(VARIABLE, default)
    hosts.append("evil.example")

    assert default == ["localhost"]
    assert env_list(VARIABLE) == []


def test_env_str_returns_the_text_or_the_default(monkeypatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    assert env_str(VARIABLE, "fallback") == "fallback"

    monkeypatch.setenv(VARIABLE, "value")
    assert env_str(VARIABLE, "fallback") == "value"


# --- settings in a fresh interpreter --------------------------------------------------------


def start_django(**env: str) -> subprocess.CompletedProcess:
    """Import the settings in a new Python, as a server would: no pytest, no test flag."""
    return run_with_settings(
        "import django; django.setup(); print('started')",
        without={"SECRET_KEY", "DEBUG"},
        **env,
    )


def test_settings_refuse_to_start_without_secret_key_when_debug_is_off():
    result = start_django(DEBUG="false")

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


def test_settings_start_with_a_secret_key_or_in_debug():
    # The same start-up succeeds once the key is given, or in development.
    with_key = start_django(DEBUG="false", SECRET_KEY="a-real-secret-for-this-test")
    in_debug = start_django(DEBUG="true")

    assert (with_key.returncode, with_key.stdout.strip()) == (0, "started"), with_key.stderr
    assert (in_debug.returncode, in_debug.stdout.strip()) == (0, "started"), in_debug.stderr


def test_settings_refuse_a_misspelt_boolean():
    result = start_django(DEBUG="maybe")

    assert result.returncode != 0
    assert "DEBUG must be true or false" in result.stderr
