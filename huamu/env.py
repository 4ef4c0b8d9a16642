"""Small, strict readers for environment variables: a bad value stops start-up."""

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    """Return the variable as text, or the default when it is unset."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    """Return the variable as a boolean; anything but a known spelling is an error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    """Return the variable as an integer; a non-number is an error."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_positive_int(name: str, default: int) -> int:
    """Return the variable as a whole number above zero; anything else is an error."""
    value = env_int(name, default)
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be above zero, not {value}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Return a comma-separated variable as a list without empty items."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_mapping(name: str) -> dict[str, str]:
    """Return `key=value,key=value` as a dict; an item without `=` is an error."""
    mapping: dict[str, str] = {}
    for item in env_list(name):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ImproperlyConfigured(f"{name} must be a list of name=value, not {item!r}")
        mapping[key.strip()] = value.strip()
    return mapping


def env_seconds_list(name: str, default: list[float]) -> list[float]:
    """Return a comma-separated list of seconds (zero or more each); else an error."""
    if os.environ.get(name) is None:
        return list(default)
    try:
        values = [float(item) for item in env_list(name)]
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be seconds separated by commas") from None
    if any(value < 0 for value in values):
        raise ImproperlyConfigured(f"{name} must not be negative")
    return values
