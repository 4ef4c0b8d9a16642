"""Substring search over Chinese text that an index can answer, also for 1 and 2 characters.

Trigrams (pg_trgm) need three characters, and a Chinese word is often one or two. So a
searched text is also kept as *tokens*: every character and every pair of neighbouring
characters (unigrams and bigrams) of its runs of letters, digits and Chinese characters,
space-separated, lower case. On PostgreSQL a GIN full-text index over those tokens
(`to_tsvector('simple', …)`) finds the rows holding all of a query's tokens; the exact
substring test (LIKE) then runs on those rows only. Every row a LIKE search finds holds all
the query's tokens, so the index never loses a row and the results are the LIKE search's;
a query nobody's text contains costs a few index pages, not a scan. SQLite runs LIKE alone.

The token alphabet is ASCII letters and digits and the CJK ideographs only, so PostgreSQL's
text-search parser keeps every token whole; any other character separates runs, which only
makes the tokens' test looser (never stricter) than the substring test.
"""

import re
from collections.abc import Iterable

from django.db import connection
from django.db.models import Q, QuerySet

# Letters and digits after case folding, and the CJK ideographs (Extension A, the Unified
# block, the compatibility block).
_RUN = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

# Text-search configuration: no stemming, no stop words, lower case only.
SEARCH_CONFIG = "simple"


def _fold(text: str) -> str:
    # Upper then lower, as PostgreSQL's ILIKE compares upper case: e.g. "ſ" meets "s".
    return text.upper().lower()


def _runs(text: str) -> list[str]:
    return _RUN.findall(_fold(text))


def search_tokens(*texts: str) -> str:
    """The tokens stored for these texts: each character and each neighbouring pair."""
    tokens: set[str] = set()
    for text in texts:
        for run in _runs(text):
            tokens.update(run)
            tokens.update(run[i : i + 2] for i in range(len(run) - 1))
    return " ".join(sorted(tokens))


def query_tokens(words: Iterable[str]) -> list[str]:
    """The tokens every text containing all these words holds: the pairs of each run, or
    the character of a one-character run."""
    tokens: set[str] = set()
    for word in words:
        for run in _runs(word):
            if len(run) == 1:
                tokens.add(run)
            else:
                tokens.update(run[i : i + 2] for i in range(len(run) - 1))
    return sorted(tokens)


def uses_token_index() -> bool:
    """Whether the database has the tokens' index (PostgreSQL); elsewhere LIKE runs alone."""
    return connection.vendor == "postgresql"


def filter_by_tokens[QS: QuerySet](queryset: QS, words: Iterable[str], field: str) -> QS:
    """Narrow to rows whose token column `field` holds every token of `words` (PostgreSQL
    only: elsewhere unchanged). Follow it with the exact LIKE test: this one is looser."""
    tokens = query_tokens(words)
    if not tokens or not uses_token_index():
        return queryset
    # Imported here: the module is the PostgreSQL backend's, unused on SQLite.
    from django.contrib.postgres.search import SearchQuery, SearchVector

    # The same expression as the GIN index (see `token_index`), so the planner can use it.
    vector = SearchVector(field, config=SEARCH_CONFIG)
    query = SearchQuery(" ".join(tokens), config=SEARCH_CONFIG, search_type="plain")
    return queryset.alias(_tokens=vector).filter(_tokens=query)


def contains_all(words: Iterable[str], fields: Iterable[str]) -> Q:
    """The LIKE test: every word is in one of the fields (case-insensitive)."""
    fields = list(fields)
    condition = Q()
    for word in words:
        either = Q()
        for name in fields:
            either |= Q(**{f"{name}__icontains": word})
        condition &= either
    return condition


def token_index(field: str, name: str):
    """The GIN index `filter_by_tokens` uses, for a migration to add on PostgreSQL."""
    from django.contrib.postgres.indexes import GinIndex
    from django.contrib.postgres.search import SearchVector

    return GinIndex(SearchVector(field, config=SEARCH_CONFIG), name=name)
