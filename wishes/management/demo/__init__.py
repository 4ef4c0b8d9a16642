"""Fictitious demo data for `manage.py seed_demo`, loaded through the real services.

The data lives in `cast` (places, sponsors, logins), `events`, `stories` (how far each wish
gets) and `children` (made up by a generator with a fixed seed, so every run builds the same
cast); `loading` puts it in the database, idempotently. This package re-exports what the
command and the tests use.
"""

from wishes.management.demo.cast import (
    BEICAI_CENTRE,
    DEMO_LOGINS,
    DEMO_PASSWORD,
    HUAMU_CENTRAL,
    MUSEUM,
)
from wishes.management.demo.children import AVOIDED_NAMES, child_specs
from wishes.management.demo.loading import load_demo_data

__all__ = [
    "AVOIDED_NAMES",
    "BEICAI_CENTRE",
    "DEMO_LOGINS",
    "DEMO_PASSWORD",
    "HUAMU_CENTRAL",
    "MUSEUM",
    "child_specs",
    "load_demo_data",
]
