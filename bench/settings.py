"""Settings of the benchmark's servers only (bench/run.py): the site's, plus bench/urls.py.

The bare view and the plain ListView that the pages are measured beside live here, never in
the site's own URLs: production loads huamu.settings, which knows nothing of them.
"""

from huamu.settings import *  # noqa: F403
from huamu.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "templates"]
