"""Public pages served from the shared cache, invalidated the moment anything public changes.

One key holds the *public version*: a random token, replaced whenever a wish, claim, consent,
child, event, photo, letter, sponsor or yearly total is saved or deleted (see `connect_signals`).
A cached page remembers the version it was rendered under and is served only while that
version is current, so a claimed wish disappears on the very next request, on every app
server. The version is read before the page's own queries run: a page rendered while a
change commits carries the version from before the change, and is never served.

Only anonymous GET requests without pending messages are cached: per view, host, path with
query string, language and local date (the "days waiting" change at midnight). The CSRF token
and the CSP nonce differ on every response: a cached page keeps the values it was rendered
with, and each hit swaps in the visitor's own.

A logged-in page can keep the part of it that is rendered from public data the same way,
under the same version: `cached_fragment` (the sponsor dashboard's claims and letters, per
sponsor). The page around it, with the visitor's navbar, messages and tokens, is rendered
on every request.

The cache must be shared by every app server process (Redis or the database, see
`CACHES` in settings); a version bump that fails (cache down) is logged, and a cached page
lives at most `HUAMU_PUBLIC_CACHE_SECONDS`.

The cache may fail; the site may not. The version is bumped only after the change commits,
never while a service holds row locks. A Redis that refuses, hangs or drops connections
costs one request at most its connect or socket timeout (`REDIS_CONNECT_TIMEOUT_MS`,
`REDIS_SOCKET_TIMEOUT_MS`); after that failure the process leaves it alone for
`REDIS_RETRY_SECONDS` and renders every page without the cache. The first call after the
pause bumps the version, so no page cached before a change missed during the outage is
served again.
"""

import functools
import hashlib
import logging
import re
import time
import uuid
from collections.abc import Callable
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

# Bump the "v1" when the shape of a cached page changes: old entries are then never read.
VERSION_KEY = "public:v1:version"
PAGE_KEY_PREFIX = "public:v1:page:"
FRAGMENT_KEY_PREFIX = "public:v1:fragment:"

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

# What `{% csrf_token %}` renders; the token inside is the one to swap.
_CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')

# A cached page: (version, content, content type, CSRF tokens in it, CSP nonce in it).
CachedPage = tuple[str, bytes, str, tuple[bytes, ...], str]


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


def _new_version() -> None:
    try:
        _cache().set(VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except CacheUnavailable:
        # Already logged when the cache failed; the first call after the pause bumps.
        pass
    except Exception:
        # A state change must never fail because the cache is down; pages then expire.
        logger.exception("Could not bump the public cache version")


def bump_public_version(using: str = DEFAULT_DB_ALIAS) -> None:
    """Stop serving every cached public page once the transaction commits (or now, outside one).

    Never inside the transaction: a slow or dead cache would then hold the row locks the
    service took. A page rendered before the commit carries the version from before it and
    is dropped by the bump. Call it after changing public data with `QuerySet.update()`,
    which sends no signal.
    """
    if not _enabled():
        return
    # Outside a transaction this runs at once.
    transaction.on_commit(_new_version, using=using, robust=True)


def _public_data_changed(sender, using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    if kwargs.get("action", "post_").startswith("post_"):
        bump_public_version(using)


def connect_signals() -> None:
    """Bump the public version whenever a public model is saved or deleted (from AppConfig)."""
    for label in PUBLIC_MODELS:
        model = apps.get_model(label)
        for signal in (post_save, post_delete):
            signal.connect(_public_data_changed, sender=model, dispatch_uid=f"public:{label}")
    # The sponsors and wishes of an event.
    event = apps.get_model("wishes.Event")
    for name in ("sponsors", "wishes"):
        m2m_changed.connect(
            _public_data_changed,
            sender=getattr(event, name).through,
            dispatch_uid=f"public:event-{name}",
        )


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


def _lookup(key: str) -> tuple[str | None, object]:
    """The current version (made if missing) and the cached page; (None, None) if unusable."""
    try:
        backend = _cache()
        found = backend.get_many([VERSION_KEY, key])
        version = found.get(VERSION_KEY)
        if version is None:
            # Another process may add its token first: everybody uses the one that won.
            backend.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
            version = backend.get(VERSION_KEY)
        return version, found.get(key)
    except CacheUnavailable:
        # Logged once when the cache failed; every request comes here during the pause.
        return None, None
    except Exception as error:
        # One line, not a traceback: while the cache is down, every request comes here.
        logger.warning("Public cache unavailable, rendering without it: %r", error)
        return None, None


def _is_current(page: object, version: str) -> TypeGuard[CachedPage]:
    return isinstance(page, tuple) and len(page) == 5 and page[0] == version


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        request.method == "GET"
        and response.status_code == 200
        and not response.streaming
        and not response.cookies
        and "no-store" not in response.get("Cache-Control", "")
    )


def _store(key: str, request: HttpRequest, version: str, response: HttpResponse) -> None:
    nonce = get_nonce(request)
    page: CachedPage = (
        version,
        response.content,
        response["Content-Type"],
        tuple(set(_CSRF_FIELD.findall(response.content))),
        # Only a nonce the page used: reading an unused one would generate it.
        str(nonce) if nonce else "",
    )
    try:
        _cache().set(key, page, timeout=settings.HUAMU_PUBLIC_CACHE_SECONDS)
    except CacheUnavailable:
        pass
    except Exception:
        logger.exception("Could not store a public page in the cache")


def _serve(request: HttpRequest, page: CachedPage) -> HttpResponse:
    _version, content, content_type, csrf_tokens, old_nonce = page
    nonce = get_nonce(request)
    if old_nonce and nonce is not None:
        content = content.replace(old_nonce.encode(), str(nonce).encode())
    if csrf_tokens:
        # Also sets the CSRF cookie for a new visitor, as rendering the form would.
        token = get_token(request).encode()
        for old_token in csrf_tokens:
            content = content.replace(old_token, token)
    return HttpResponse(content, content_type=content_type)


def cache_public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve a public page from the cache to anonymous visitors until public data changes."""
    view_name = f"{view.__module__}.{view.__qualname__}"

    @functools.wraps(view)
    def cached_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not _may_use_cache(request):
            response = view(request, *args, **kwargs)
        else:
            key = _page_key(request, view_name)
            version, page = _lookup(key)
            if version is not None and _is_current(page, version):
                response = _serve(request, page)
            else:
                response = view(request, *args, **kwargs)
                if version is not None and _storable(request, response):
                    _store(key, request, version, response)
        # Only this server's cache keeps public pages: browsers ask again every time, and a
        # proxy never shares one visitor's page (it holds a CSRF token) with another.
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        patch_cache_control(response, private=True, no_cache=True)
        return response

    return cached_view


def cached_fragment(name: str, parts: list[str], render: Callable[[], str]) -> str:
    """Markup rendered from public data, kept until that data changes.

    `name` and `parts` say whose and which markup it is (e.g. "sponsor-claims", a sponsor's
    id, the status tab and page): readers with different `parts` never share it, so the
    parts must name everything the markup depends on besides public data and the language,
    which is added here. `render` runs on a miss, after the version has been read, so
    markup rendered while a change commits is never served.
    """
    if not _enabled():
        return render()
    key_parts = [name, *parts, get_language() or ""]
    key = FRAGMENT_KEY_PREFIX + hashlib.sha256("\n".join(key_parts).encode()).hexdigest()
    version, found = _lookup(key)
    if version is not None and isinstance(found, tuple) and found[:1] == (version,):
        return found[1]
    markup = render()
    if version is not None:
        try:
            _cache().set(key, (version, markup), timeout=settings.HUAMU_PUBLIC_CACHE_SECONDS)
        except CacheUnavailable:
            pass
        except Exception:
            logger.exception("Could not store a fragment in the cache")
    return markup
