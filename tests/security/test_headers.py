"""Security headers on every page, and no inline script or style the policy would block."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import PASSWORD

PROJECT = Path(__file__).resolve().parents[2]

# (role, url name, the world's object whose id the URL takes, expected status)
PAGES = [
    ("anonymous", "home", None, 200),
    ("anonymous", "wishes:list", None, 200),
    ("anonymous", "wishes:detail", "open_wish", 200),
    ("anonymous", "events:list", None, 200),
    ("anonymous", "events:detail", "event", 200),
    ("anonymous", "impact:index", None, 200),
    ("anonymous", "feed:wishes", None, 200),
    ("anonymous", "sponsors:register", None, 200),
    ("anonymous", "login", None, 200),
    ("anonymous", "password_reset", None, 200),
    ("anonymous", "healthz", None, 200),
    ("anonymous", "admin:login", None, 200),
    ("anonymous", "sponsors:dashboard", None, 302),
    ("sponsor", "sponsors:dashboard", None, 200),
    ("sponsor", "wishes:claim", "open_wish", 200),
    ("sponsor", "wishes:batch_claim", None, 200),
    ("sponsor", "sponsors:claim", "claim", 200),
    ("sponsor", "sponsors:cancel_claim", "claim", 200),
    ("coordinator", "school:overview", None, 200),
    ("coordinator", "school:fulfil", None, 200),
    ("coordinator", "school:photos", "fulfilment", 200),
    ("coordinator", "school:letter", "fulfilment", 200),
    ("staff", "admin:index", None, 200),
    ("staff", "admin:wishes_wish_changelist", None, 200),
    ("staff", "admin:wishes_wish_change", "open_wish", 200),
    ("staff", "admin:sponsors_sponsor_changelist", None, 200),
    ("staff", "admin:wishes_claim_change", "claim", 200),
]


def page_url(name: str, key: str | None, world: dict) -> str:
    if key is None:
        return reverse(name)
    return reverse(name, args=[world[key].pk])


def policy(response) -> dict[str, list[str]]:
    """The enforced Content-Security-Policy as {directive: [sources]}."""
    header = response.headers.get("Content-Security-Policy")
    assert header, "no Content-Security-Policy header"
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def nonces_in(html: str) -> set[str]:
    return set(re.findall(r'\bnonce="([^"]+)"', html))


def assert_strict_policy(directives: dict[str, list[str]]) -> None:
    assert directives["default-src"] == ["'self'"]
    for directive in ["script-src", "style-src"]:
        sources = directives[directive]
        assert sources[0] == "'self'"
        # Besides 'self', only this response's nonce: no 'unsafe-inline', no other host.
        assert all(re.fullmatch(r"'nonce-[\w-]+'", source) for source in sources[1:]), sources
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    for sources in directives.values():
        assert "'unsafe-inline'" not in sources
        assert "'unsafe-eval'" not in sources
        assert "*" not in sources


@pytest.mark.parametrize("role, name, key, status", PAGES)
def test_every_page_sends_the_security_headers(role, name, key, status, client_for, world):
    response = client_for(role).get(page_url(name, key, world))

    assert response.status_code == status
    assert_strict_policy(policy(response))
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize("role, name, key, status", [p for p in PAGES if p[3] == 200])
def test_no_page_holds_an_inline_script_or_style_without_the_nonce(
    role, name, key, status, client_for, world
):
    response = client_for(role).get(page_url(name, key, world))
    if not response["Content-Type"].startswith("text/html"):
        pytest.skip("not an HTML page")
    html = response.content.decode()

    script_srcs = policy(response)["script-src"]
    allowed = {source.removeprefix("'nonce-").removesuffix("'") for source in script_srcs[1:]}
    # Every nonce in the page is the one the header allows, so nonced tags really run.
    assert nonces_in(html) <= allowed
    inline_scripts = re.findall(r"<script\b(?![^>]*\bsrc=)[^>]*>", html)
    assert all("nonce=" in tag for tag in inline_scripts), inline_scripts
    assert all("nonce=" in tag for tag in re.findall(r"<style\b[^>]*>", html))
    assert not re.search(r"<[^>]+\sstyle=", html), "inline style attribute"
    assert not re.search(r"<[^>]+\son[a-z]+=", html), "inline event handler"
    assert "javascript:" not in html


def test_the_nonce_is_new_for_every_response(client_for, world):
    client = client_for("staff")

    first = client.get(reverse("admin:index"))
    second = client.get(reverse("admin:index"))

    first_nonces = nonces_in(first.content.decode())
    second_nonces = nonces_in(second.content.decode())
    # Django's admin puts the nonce on its scripts: it appears in the page and the header.
    assert len(first_nonces) == 1
    assert len(second_nonces) == 1
    assert first_nonces != second_nonces
    assert f"'nonce-{first_nonces.pop()}'" in policy(first)["script-src"]


@pytest.mark.parametrize(
    "role, name, key",
    [
        ("coordinator", "files:photo", "photo"),
        ("coordinator", "files:photo_thumbnail", "photo"),
        ("staff", "files:letter_scan", "letter"),
    ],
)
def test_private_files_are_sent_with_a_policy_stricter_than_the_pages(
    role, name, key, client_for, world
):
    response = client_for(role).get(page_url(name, key, world))

    assert response.status_code == 200
    directives = policy(response)
    # A picture needs no script, style or frame: nothing runs even if a file were crafted.
    assert directives["default-src"] == ["'none'"]
    assert "sandbox" in directives
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("name", ["home", "wishes:list", "events:list", "impact:index"])
def test_pages_served_from_the_public_cache_keep_the_security_headers(name, settings, world):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"security-headers-{name}",
        }
    }
    settings.HUAMU_PUBLIC_CACHE = True
    client = Client()

    first = client.get(reverse(name))
    with CaptureQueriesContext(connection) as queries:
        second = client.get(reverse(name))

    # The second answer came from the cache (no query), with every header all the same.
    assert len(queries) == 0
    assert second.status_code == first.status_code == 200
    for response in (first, second):
        assert_strict_policy(policy(response))
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.fixture
def production_security(settings):
    """The transport settings huamu/settings.py turns on with PRODUCTION=true."""
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True


def test_plain_http_is_redirected_to_https(production_security, db):
    response = Client().get("/wishes/?page=2")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/wishes/?page=2"


def test_https_answers_carry_hsts_and_secure_cookies(production_security, sponsor):
    client = Client()

    response = client.post(
        reverse("login"), {"username": "sponsor", "password": PASSWORD}, secure=True
    )

    assert response.status_code == 302
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    session = client.cookies[settings.SESSION_COOKIE_NAME]
    assert session["secure"] is True
    assert session["httponly"] is True
    page = client.get(reverse("sponsors:register"), secure=True)
    assert client.cookies[settings.CSRF_COOKIE_NAME]["secure"] is True
    assert page["Strict-Transport-Security"].startswith("max-age=31536000")


def test_error_pages_send_the_security_headers_too(client_for, world):
    response = client_for("anonymous").get("/no-such-page/")

    assert response.status_code == 404
    assert_strict_policy(policy(response))
    assert response.headers["X-Frame-Options"] == "DENY"


# --- the templates themselves (Django's own admin templates are Django's business) ------------

TEMPLATE_DIRS = [
    PROJECT / "templates",
    *(PROJECT / app / "templates" for app in ["wishes", "sponsors", "huamu"]),
]


def our_templates() -> list[Path]:
    return sorted(p for d in TEMPLATE_DIRS if d.exists() for p in d.rglob("*.html"))


def test_the_template_scan_finds_the_templates():
    # Guards the scans below against passing because they looked in the wrong place.
    names = {p.relative_to(PROJECT / "templates").as_posix() for p in our_templates()}
    assert {"base.html", "home.html", "wishes/wish_list.html"} <= names


@pytest.mark.parametrize(
    "pattern, what",
    [
        (r"<script\b(?![^>]*\bnonce=)[^>]*>", "a <script> without nonce"),
        (r"<style\b(?![^>]*\bnonce=)[^>]*>", "a <style> without nonce"),
        (r"<[^>]*\sstyle=", "an inline style attribute"),
        (r"<[^>]*\son(click|load|change|submit|input|error|mouse\w+|key\w+)=", "an event handler"),
        (r"javascript:", "a javascript: URL"),
        (r"\b(https?:)?//(cdn|unpkg|ajax\.googleapis|code\.jquery)", "a CDN"),
    ],
)
def test_templates_hold_nothing_the_policy_blocks(pattern, what):
    offenders = [
        p.relative_to(PROJECT).as_posix()
        for p in our_templates()
        if re.search(pattern, p.read_text(encoding="utf-8"), re.IGNORECASE)
    ]
    assert offenders == [], f"{what} in {offenders}"


def test_the_policy_is_enforced_not_only_reported():
    assert settings.SECURE_CSP
    assert "django.middleware.csp.ContentSecurityPolicyMiddleware" in settings.MIDDLEWARE
