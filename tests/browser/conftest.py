"""Playwright drives Debian's Chromium; without it these tests skip, saying why."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("HUAMU_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# between page actions are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(
        reason=f"No Chromium at {CHROMIUM}: install Debian's chromium package to run browser tests"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Playwright cannot download its own browser here; the flags keep Chromium off the network.
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A phone-sized screen in Chinese, as most visitors come from WeChat on a phone.
    return {
        **browser_context_args,
        "viewport": {"width": 390, "height": 844},
        "locale": "zh-CN",
    }


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot under test-artifacts/ and return its path.

    `target` is another page (e.g. of a second browser context); the test's page by default.
    """
    ARTIFACTS.mkdir(exist_ok=True)

    def take(name: str, target=None) -> Path:
        path = ARTIFACTS / f"{name}.png"
        (target or page).screenshot(path=str(path), full_page=True)
        return path

    return take
