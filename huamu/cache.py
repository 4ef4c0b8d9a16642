"""Public pages served from the shared cache, invalidated the moment what they show changes.

Each kind of public data has a *version*: a random token under its own key, replaced after a
change to that data commits (`connect_signals` says which change replaces which):

- `wish:<id>`: one wish's page; `cat:<category>` and `band:<grade band>`: the "similar
  wishes" on the pages of wishes of that category or band;
- `wishes`: the waiting-wishes list, the front page's wishes, the feed;
- `impact`: the numbers of the impact page, the front page and the campaign's progress;
- `events`: the events pages; `sponsor:<id>`: a sponsor's claims and letters;
- `all`: everything (a child, consent, campaign, event, school, region or sponsor changed,
  or `bump_public_version()` was called); `any`: replaced by every change.

While a page renders, the selectors it reads through call `depends_on(...)` with the
versions of the data they are about to query; the page is cached with those versions (and
always `all`; a page that declared nothing depends on `any`) and served only while every one
of them is current. So a claim on one wish re-renders that wish's page, the list, the front
page and the impact page, and leaves the events and every other wish's page cached. A
version is read before the queries that depend on it run and replaced only after the change
commits: a page rendered while a change commits carries the version from before the change,
and is never served.

Only anonymous GET requests without pending messages are cached: per view, host, path with
query string, language and local date (the "days waiting" change at midnight). The CSRF token
and the CSP nonce differ on every response: a cached page keeps the values it was rendered
with, and each hit swaps in the visitor's own.

A logged-in page can keep the part of it that is rendered from public data the same way:
`cached_fragment` (the sponsor dashboard's claims and letters, per sponsor, under
`sponsor:<id>`). The page around it, with the visitor's navbar, messages and tokens, is
rendered on every request.

The cache must be shared by every app server process (Redis or the database, see
`CACHES` in settings); a version bump that fails (cache down) is logged, and a cached page
lives at most `HUAMU_PUBLIC_CACHE_SECONDS`. A hit costs one round trip to the cache: each
process remembers which versions a page depended on last time and asks for them together
with the page.

The cache may fail; the site may not. Versions are bumped only after the change commits,
never while a service holds row locks. A Redis that refuses, hangs or drops connections
costs one request at most its connect or socket timeout (`REDIS_CONNECT_TIMEOUT_MS`,
`REDIS_SOCKET_TIMEOUT_MS`); after that failure the process leaves it alone for
`REDIS_RETRY_SECONDS` and renders every page without the cache. The first call after the
pause bumps `all`, so no page cached before a change missed during the outage is served
again.
"""

import functools
import hashlib
import logging
import re
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeGuard

from django.apps import apps
from django.conf import settings
from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.middleware.csp import get_nonce
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

# Bump the "v2" when the shape of a cached page changes: old entries are then never read.
TAG_KEY_PREFIX = "public:v2:tag:"
PAGE_KEY_PREFIX = "public:v2:page:"
FRAGMENT_KEY_PREFIX = "public:v2:fragment:"

ALL = "all"
ANY = "any"


def tag_key(tag: str) -> str:
    """The cache key holding the current version of one kind of public data."""
    return TAG_KEY_PREFIX + tag


# Replaced to stop serving every cached page (`bump_public_version`, the end of an outage).
VERSION_KEY = tag_key(ALL)
ANY_KEY = tag_key(ANY)

# Everything a public page shows comes from these models (or from rows linked to them).
PUBLIC_MODELS = (
    "wishes.Wish",
    "wishes.Claim",
    "wishes.Consent",
    "wishes.Child",
    "wishes.Campaign",
    "wishes.Event",
    "wishes.Fulfilment",
    "wishes.FulfilmentPhoto",
    # Only its average and count reach the impact page.
    "wishes.Feedback",
    "wishes.ThankYouLetter",
    "wishes.YearTotal",
    "wishes.School",
    "wishes.Region",
    "sponsors.Sponsor",
)

# A wish saved with only these fields changed its status: its category, child and words
# are as before, so only the pages showing it and the lists it enters or leaves change.
_WISH_STATUS_FIELDS = frozenset({"status", "updated_at", "published_at"})

# What `{% csrf_token %}` renders; the token inside is the one to swap.
_CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')

# A cached page: (versions it was rendered under by key, content, content type, CSRF tokens
# in it, CSP nonce in it).
CachedPage = tuple[dict[str, str], bytes, str, tuple[bytes, ...], str]


class _SharedRedisClient(RedisCacheClient):
    """Django's Redis client, but one `redis.Redis` per connection pool instead of one per call.

    Building a `redis.Redis` fills its table of ~170 response callbacks: about 0.2 ms, which
    was a third of the time of a cached page. The object is thread-safe; its pool holds the
    connections, as before.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class CacheUnavailable(Exception):
    """The cache failed a moment ago and is left alone until its pause ends."""


# Per Redis address, shared by every thread of the process (each thread has its own backend
# object): the monotonic time before which nobody asks that Redis again.
_redis_paused_until: dict[str, float] = {}

# Without a timeout a Redis that accepts connections and never answers makes every call wait
# for the kernel (seconds); these apply when CACHES gives none (settings pass the env's).
DEFAULT_REDIS_TIMEOUT_SECONDS = 0.1
DEFAULT_REDIS_RETRY_SECONDS = 10.0


def _redis_error() -> type[Exception]:
    # Imported only when a Redis call failed: redis is installed where CACHE_URL names it.
    import redis

    return redis.RedisError


def _guarded(name: str) -> Callable[..., Any]:
    call = getattr(DjangoRedisCache, name)

    @functools.wraps(call)
    def guarded(self: "RedisCache", *args, **kwargs):
        self._check_pause()
        try:
            return call(self, *args, **kwargs)
        except _redis_error() as error:
            raise self._pause(error) from error

    return guarded


class RedisCache(DjangoRedisCache):
    """The Redis cache backend of settings.CACHES (CACHE_URL=redis://...).

    Short timeouts, and a pause of `retry_seconds` (an OPTIONS key of our own) after any
    failure: while it lasts every call raises `CacheUnavailable` at once, without a round
    trip, and the callers in this module render without the cache.
    """

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _SharedRedisClient
        options = dict(params.get("OPTIONS", {}))
        self._retry_seconds = float(options.pop("retry_seconds", DEFAULT_REDIS_RETRY_SECONDS))
        options.setdefault("socket_connect_timeout", DEFAULT_REDIS_TIMEOUT_SECONDS)
        options.setdefault("socket_timeout", DEFAULT_REDIS_TIMEOUT_SECONDS)
        self._options = options
        self._address = server if isinstance(server, str) else ",".join(server)

    def _check_pause(self) -> None:
        paused_until = _redis_paused_until.get(self._address)
        if paused_until is None:
            return
        if time.monotonic() < paused_until:
            raise CacheUnavailable(f"Redis at {self._address} failed; retrying later")
        # The pause is over. Bumps of the public version may have been lost meanwhile:
        # bumping now is the probe, so no page cached before those changes is served.
        try:
            DjangoRedisCache.set(self, VERSION_KEY, uuid.uuid4().hex, timeout=None)
        except _redis_error() as error:
            raise self._pause(error) from error
        _redis_paused_until.pop(self._address, None)
        logger.warning("Redis cache at %s answers again", self._address)

    def _pause(self, error: Exception) -> CacheUnavailable:
        _redis_paused_until[self._address] = time.monotonic() + self._retry_seconds
        logger.warning(
            "Redis cache at %s failed (%r): rendering without it for %g s",
            self._address,
            error,
            self._retry_seconds,
        )
        return CacheUnavailable(f"Redis at {self._address} failed: {error!r}")

    add = _guarded("add")
    get = _guarded("get")
    set = _guarded("set")
    touch = _guarded("touch")
    delete = _guarded("delete")
    get_many = _guarded("get_many")
    has_key = _guarded("has_key")
    incr = _guarded("incr")
    set_many = _guarded("set_many")
    delete_many = _guarded("delete_many")
    clear = _guarded("clear")


def _enabled() -> bool:
    return settings.HUAMU_PUBLIC_CACHE


def _cache():
    # The backend itself, not the `cache` proxy, so that isinstance() sees its class.
    return caches[DEFAULT_CACHE_ALIAS]


def _new_versions(keys: frozenset[str]) -> None:
    try:
        _cache().set_many({key: uuid.uuid4().hex for key in keys}, timeout=None)
    except CacheUnavailable:
        # Already logged when the cache failed; the first call after the pause bumps `all`.
        pass
    except Exception:
        # A state change must never fail because the cache is down; pages then expire.
        logger.exception("Could not bump the public cache versions")


def bump_versions(*tags: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """Stop serving the cached pages that show these kinds of data once the transaction
    commits (or now, outside one).

    Never inside the transaction: a slow or dead cache would then hold the row locks the
    service took. A page rendered before the commit carries the versions from before it and
    is dropped by the bump.
    """
    if not _enabled():
        return
    keys = frozenset([ANY_KEY, *(tag_key(tag) for tag in tags)])
    # Outside a transaction this runs at once.
    transaction.on_commit(functools.partial(_new_versions, keys), using=using, robust=True)


def bump_public_version(using: str = DEFAULT_DB_ALIAS) -> None:
    """Stop serving every cached public page once the transaction commits (or now, outside one).

    Call it after changing public data with `QuerySet.update()` or `bulk_create()`, which
    send no signal.
    """
    bump_versions(ALL, using=using)


def _band_of(wish) -> str:
    child = wish._state.fields_cache.get("child")
    if child is not None:
        grade = child.grade
    else:
        # One small query inside the change's transaction; most services lock the wish alone.
        grade = (
            apps.get_model("wishes.Child")
            .objects.filter(pk=wish.child_id)
            .values_list("grade", flat=True)
            .first()
        )
    if grade is None:
        return ""
    # Imported here: huamu imports no app at module level.
    from wishes.models import GradeBand

    return GradeBand.of(grade)


def _claim_tags(claim_id: int | None) -> list[str] | None:
    if claim_id is None:
        return None
    row = (
        apps.get_model("wishes.Claim")
        .objects.filter(pk=claim_id)
        .values_list("sponsor_id", "wish_id")
        .first()
    )
    if row is None:
        return None
    return [f"sponsor:{row[0]}", f"wish:{row[1]}"]


def _tags_of_change(sender, instance, **kwargs) -> list[str]:
    """The kinds of public data a saved or deleted row changes (see the module doc)."""
    label = sender._meta.label
    deleted = "created" not in kwargs
    if label == "wishes.Wish":
        fields = kwargs.get("update_fields")
        if deleted or fields is None or not set(fields) <= _WISH_STATUS_FIELDS:
            # Its text, category or child may have changed: every page that may show it.
            return [ALL]
        return [
            f"wish:{instance.pk}",
            "wishes",
            "impact",
            f"cat:{instance.category}",
            f"band:{_band_of(instance)}",
        ]
    if label == "wishes.Claim":
        if deleted:
            return [ALL]
        claimed = [
            f"sponsor:{instance.sponsor_id}",
            f"wish:{instance.wish_id}",
            "wishes",
            "impact",
        ]
        # An event page counts the claims made on the spot there.
        return [*claimed, "events"] if getattr(instance, "event_id", None) else claimed
    if label == "wishes.YearTotal":
        return ["impact"]
    if label in ("wishes.Fulfilment", "wishes.FulfilmentPhoto", "wishes.ThankYouLetter"):
        if label == "wishes.Fulfilment":
            claim_id = instance.claim_id
        else:
            claim_id = (
                apps.get_model("wishes.Fulfilment")
                .objects.filter(pk=instance.fulfilment_id)
                .values_list("claim_id", flat=True)
                .first()
            )
        tags = _claim_tags(claim_id)
        if tags is None:
            return [ALL]
        if label == "wishes.Fulfilment":
            return [*tags, "wishes", "impact", "events"]
        if label == "wishes.FulfilmentPhoto":
            return [*tags, "events"]
        return tags
    # A child, consent, campaign, event, school, region or sponsor: rare, and shown on
    # many kinds of pages.
    return [ALL]


def _public_data_changed(sender, instance, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    if not _enabled():
        return
    bump_versions(*_tags_of_change(sender, instance, **kwargs), using=using)


def _event_links_changed(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    if kwargs.get("action", "").startswith("post_"):
        bump_versions("events", using=using)


def connect_signals() -> None:
    """Bump the versions a public model's rows feed whenever one is saved or deleted (from
    AppConfig)."""
    for label in PUBLIC_MODELS:
        model = apps.get_model(label)
        for signal in (post_save, post_delete):
            signal.connect(_public_data_changed, sender=model, dispatch_uid=f"public:{label}")
    # The sponsors and wishes of an event.
    event = apps.get_model("wishes.Event")
    for name in ("sponsors", "wishes"):
        m2m_changed.connect(
            _event_links_changed,
            sender=getattr(event, name).through,
            dispatch_uid=f"public:event-{name}",
        )


class _Render:
    """The versions known while one page or fragment renders, and those it depends on."""

    __slots__ = ("depends", "known", "usable")

    def __init__(self, known: dict[str, str]) -> None:
        self.known = known
        self.depends: dict[str, str] = {}
        self.usable = True


_rendering: ContextVar[_Render | None] = ContextVar("huamu_public_render", default=None)

# Per page key, the version keys the page depended on when this process last saw it: asked
# for together with the page, so a hit is one round trip.
_hints: dict[str, tuple[str, ...]] = {}
_MAX_HINTS = 20_000


def _versions(keys: list[str]) -> dict[str, str]:
    """The current versions under these keys, made where missing."""
    backend = _cache()
    found = backend.get_many(keys) if keys else {}
    missing = [key for key in keys if key not in found]
    if missing:
        # Another process may add its token first: everybody uses the one that won.
        for key in missing:
            backend.add(key, uuid.uuid4().hex, timeout=None)
        found.update(backend.get_many(missing))
    return found


def depends_on(*tags: str) -> None:
    """Say that the page being rendered is about to read these kinds of public data.

    Call it before the queries: the versions are read now, so a change that commits after
    them makes the page stale at once. Outside a cached render it does nothing.
    """
    render = _rendering.get()
    if render is None or not render.usable:
        return
    keys = [tag_key(tag) for tag in tags]
    unknown = [key for key in keys if key not in render.known]
    if unknown:
        try:
            render.known.update(_versions(unknown))
        except CacheUnavailable:
            render.usable = False
            return
        except Exception as error:
            # Rendered without the cache: this page will not be stored.
            logger.warning("Public cache unavailable, not caching this page: %r", error)
            render.usable = False
            return
    for key in keys:
        if key in render.known:
            render.depends[key] = render.known[key]
        else:
            render.usable = False


def _render_recording(known: dict[str, str], render: Callable[[], Any]) -> tuple[Any, _Render]:
    """Run `render` while recording what it depends on: always `all`, and `any` for one
    that declares nothing."""
    recording = _Render(known)
    outer = _rendering.get()
    token = _rendering.set(recording)
    try:
        result = render()
    finally:
        _rendering.reset(token)
    declared = recording.depends
    recording.depends = {VERSION_KEY: known[VERSION_KEY], **declared}
    if not declared:
        recording.depends[ANY_KEY] = known[ANY_KEY]
    if outer is not None:
        # A fragment inside a cached page: the page depends on it too.
        outer.depends.update(recording.depends)
        outer.usable = outer.usable and recording.usable
    return result, recording


def _anonymous_without_messages(request: HttpRequest) -> bool:
    cookies = request.COOKIES
    if settings.SESSION_COOKIE_NAME not in cookies and CookieStorage.cookie_name not in cookies:
        # No session and no message cookie: nobody is logged in and no message is waiting
        # (the common case, decided without loading the session).
        return True
    return not request.user.is_authenticated and len(get_messages(request)) == 0


def _may_use_cache(request: HttpRequest) -> bool:
    # Logged-in users see their own navbar and buttons; messages are meant for one visitor.
    return (
        _enabled() and request.method in ("GET", "HEAD") and _anonymous_without_messages(request)
    )


def _page_key(request: HttpRequest, view_name: str) -> str:
    parts = [
        view_name,
        # Already checked against ALLOWED_HOSTS by CommonMiddleware.
        request.META.get("HTTP_HOST", ""),
        request.get_full_path(),
        get_language() or "",
        timezone.localdate().isoformat(),
    ]
    return PAGE_KEY_PREFIX + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _lookup(key: str) -> tuple[dict[str, str] | None, object]:
    """The versions known now (at least `all` and `any`, made if missing) and the cached
    entry, in one round trip when this process has seen the entry before; (None, None) if
    the cache is unusable."""
    try:
        wanted = [key, VERSION_KEY, ANY_KEY, *_hints.get(key, ())]
        found = _cache().get_many(wanted)
        entry = found.pop(key, None)
        missing = [k for k in (VERSION_KEY, ANY_KEY) if k not in found]
        if missing:
            found.update(_versions(missing))
        return found, entry
    except CacheUnavailable:
        # Logged once when the cache failed; every request comes here during the pause.
        return None, None
    except Exception as error:
        # One line, not a traceback: while the cache is down, every request comes here.
        logger.warning("Public cache unavailable, rendering without it: %r", error)
        return None, None


def _is_current(key: str, entry: object, known: dict[str, str]) -> bool:
    """Whether a cached entry was rendered under the versions current now."""
    if not isinstance(entry, tuple) or not entry or not isinstance(entry[0], dict):
        return False
    depends: dict[str, str] = entry[0]
    unknown = [k for k in depends if k not in known]
    if unknown:
        # Versions this process did not expect (the entry came from another process, or the
        # page's dependencies changed): one more round trip, and remember them next time.
        try:
            known.update(_cache().get_many(unknown))
        except Exception:
            return False
        _remember(key, depends)
    return all(known.get(k) == version for k, version in depends.items())


def _remember(key: str, depends: dict[str, str]) -> None:
    if len(_hints) >= _MAX_HINTS:
        _hints.clear()
    _hints[key] = tuple(k for k in depends if k not in (VERSION_KEY, ANY_KEY))


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        request.method == "GET"
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "no-store" not in response.get("Cache-Control", "")
    )


def _put(key: str, entry: tuple) -> None:
    try:
        _cache().set(key, entry, timeout=settings.HUAMU_PUBLIC_CACHE_SECONDS)
    except CacheUnavailable:
        pass
    except Exception:
        logger.exception("Could not store a public page or fragment in the cache")
    _remember(key, entry[0])


def _store(
    key: str, request: HttpRequest, depends: dict[str, str], response: HttpResponse
) -> None:
    nonce = get_nonce(request)
    page: CachedPage = (
        depends,
        response.content,
        response["Content-Type"],
        tuple(set(_CSRF_FIELD.findall(response.content))),
        # Only a nonce the page used: reading an unused one would generate it.
        str(nonce) if nonce else "",
    )
    _put(key, page)


def _serve(request: HttpRequest, page: CachedPage) -> HttpResponse:
    _depends, content, content_type, csrf_tokens, old_nonce = page
    nonce = get_nonce(request)
    if old_nonce and nonce is not None:
        content = content.replace(old_nonce.encode(), str(nonce).encode())
    if csrf_tokens:
        # Also sets the CSRF cookie for a new visitor, as rendering the form would.
        token = get_token(request).encode()
        for old_token in csrf_tokens:
            content = content.replace(old_token, token)
    return HttpResponse(content, content_type=content_type)


def _is_page(entry: object) -> TypeGuard[CachedPage]:
    return isinstance(entry, tuple) and len(entry) == 5


def cache_public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve a public page from the cache to anonymous visitors until what it shows changes."""
    view_name = f"{view.__module__}.{view.__qualname__}"

    @functools.wraps(view)
    def cached_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _may_use_cache(request):
            response = view(request, *args, **kwargs)
        else:
            key = _page_key(request, view_name)
            known, page = _lookup(key)
            if known is None:
                response = view(request, *args, **kwargs)
            elif _is_page(page) and _is_current(key, page, known):
                response = _serve(request, page)
            else:
                response, render = _render_recording(known, lambda: view(request, *args, **kwargs))
                if render.usable and _storable(request, response):
                    _store(key, request, render.depends, response)
        # Only this server's cache keeps public pages: browsers ask again every time, and a
        # proxy never shares one visitor's page (it holds a CSRF token) with another.
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        patch_cache_control(response, private=True, no_cache=True)
        return response

    return cached_view


def cached_fragment(
    name: str, parts: list[str], render: Callable[[], str], *, tags: tuple[str, ...] = ()
) -> str:
    """Markup rendered from public data, kept until that data changes.

    `name` and `parts` say whose and which markup it is (e.g. "sponsor-claims", a sponsor's
    id, the status tab and page): readers with different `parts` never share it, so the
    parts must name everything the markup depends on besides public data and the language,
    which is added here. `tags` are the kinds of public data it shows (see the module doc;
    without them, and without `depends_on` calls in `render`, any change drops it).
    `render` runs on a miss, after the versions have been read, so markup rendered while a
    change commits is never served.
    """
    if not _enabled():
        return render()
    key_parts = [name, *parts, get_language() or ""]
    key = FRAGMENT_KEY_PREFIX + hashlib.sha256("\n".join(key_parts).encode()).hexdigest()
    known, found = _lookup(key)
    if known is None:
        return render()
    if isinstance(found, tuple) and len(found) == 2 and _is_current(key, found, known):
        outer = _rendering.get()
        if outer is not None:
            outer.depends.update(found[0])
        return found[1]

    def render_declared() -> str:
        depends_on(*tags)
        return render()

    markup, recording = _render_recording(known, render_declared)
    if recording.usable:
        _put(key, (recording.depends, markup))
    return markup
