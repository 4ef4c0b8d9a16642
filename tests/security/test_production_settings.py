"""Production mode: `check --deploy` passes, and unsafe settings stop the site from starting.

Each test starts manage.py in a fresh interpreter with a clean environment, as a server
would: no pytest in sys.modules, no test flag, nothing inherited from this shell.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
CHECK = ["check", "--deploy", "--fail-level", "WARNING"]


@pytest.fixture
def production_env(tmp_path) -> dict[str, str]:
    """What an operator sets for production, with a throwaway SQLite file for the database."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PRODUCTION": "true",
        # manage.py turns DEBUG on when the variable is unset: production says false.
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "wishes.example.org",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
    }


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """Run manage.py with exactly `env` (unset variables stay unset)."""
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deployment_checks(production_env):
    result = manage(production_env, *CHECK)

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_deployment_checks_fail_with_the_console_mail_backend(production_env):
    # The same check catches a forgotten mail setting: it is not a check that always passes.
    production_env["EMAIL_BACKEND"] = "django.core.mail.backends.console.EmailBackend"

    result = manage(production_env, *CHECK)

    assert result.returncode != 0
    assert "backend" in result.stderr.lower()


def test_production_turns_on_https_only_cookies_hsts_and_the_ssl_redirect(production_env):
    snippet = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000, "
        "s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY, s.DEBUG)"
    )

    result = manage(production_env, "shell", "--verbosity", "0", "-c", snippet)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True", "True", "True", "True", "False"]


def test_login_throttling_is_on_and_counts_in_the_database_outside_tests(production_env):
    # Tests switch django-axes off for the test client's logins; a server must not.
    snippet = (
        "from django.conf import settings as s; "
        "print(s.AXES_ENABLED, s.AXES_HANDLER, s.AUTHENTICATION_BACKENDS[0], s.MIDDLEWARE[-1])"
    )

    result = manage(production_env, "shell", "--verbosity", "0", "-c", snippet)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "True",
        "axes.handlers.database.AxesDatabaseHandler",
        "axes.backends.AxesStandaloneBackend",
        "axes.middleware.AxesMiddleware",
    ]


def test_passwords_are_hashed_with_argon2_outside_tests(production_env):
    snippet = (
        "from django.contrib.auth.hashers import make_password; "
        "print(make_password('correct horse battery staple').split('$')[0])"
    )

    result = manage(production_env, "shell", "--verbosity", "0", "-c", snippet)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "argon2"


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"DEBUG": "true"}, "DEBUG must be false"),
        ({"SECRET_KEY": None}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": ""}, "SECRET_KEY must be set"),
        ({"SECRET_KEY": "short-but-secret"}, "SECRET_KEY must be at least 50 random characters"),
        (
            {"SECRET_KEY": "django-insecure-" + secrets.token_urlsafe(48)},
            "SECRET_KEY must be at least 50 random characters",
        ),
        ({"SECRET_KEY": "a" * 64}, "SECRET_KEY must be at least 50 random characters"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS must name the site's host"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS must name the site's host"),
    ],
    ids=[
        "debug-on",
        "no-secret-key",
        "empty-secret-key",
        "short-secret-key",
        "django-insecure-key",
        "repetitive-secret-key",
        "empty-allowed-hosts",
        "no-allowed-hosts",
    ],
)
def test_production_refuses_to_start_with_unsafe_settings(production_env, change, problem):
    for name, value in change.items():
        if value is None:
            del production_env[name]
        else:
            production_env[name] = value

    result = manage(production_env, "check")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert problem in result.stderr
    # The refusal names the problem without printing the secret.
    if production_env.get("SECRET_KEY"):
        assert production_env["SECRET_KEY"] not in result.stderr


def test_production_names_every_problem_at_once(production_env):
    production_env.update(DEBUG="true", SECRET_KEY="", ALLOWED_HOSTS="")

    result = manage(production_env, "check")

    assert result.returncode != 0
    for problem in ["DEBUG must be false", "SECRET_KEY", "ALLOWED_HOSTS"]:
        assert problem in result.stderr


def test_without_production_mode_the_same_weak_key_is_accepted(production_env):
    # The refusals belong to production mode: a staging copy may use a throwaway key.
    production_env.update(PRODUCTION="false", SECRET_KEY="short-but-secret")

    result = manage(production_env, "check")

    assert result.returncode == 0, result.stderr
