"""Browser tests: Playwright driving Debian's chromium against a live server, with axe-core.

The live server is this test session's app, on the same database as the other tests, so
records a test creates through fixtures are what the browser sees.
"""
import logging
import shutil
import threading
from functools import lru_cache
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from crm.app import create_app
from crm.config import TEST_SETTINGS
from tests.conftest import PASSWORD

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
# WCAG 2.1 A and AA, plus the target-size rule for fingers on a phone.
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
               "rules": {"target-size": {"enabled": True}}}


logging.getLogger("werkzeug").setLevel(logging.WARNING)


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server(_schema):
    app = create_app({**TEST_SETTINGS, "SQLALCHEMY_DATABASE_URI": _schema, "WTF_CSRF_ENABLED": True,
                      "TESTING": False})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("Debian's chromium is needed for the browser tests (scripts/test installs it).")
    if not AXE_SCRIPT.exists():
        pytest.fail("axe-core is needed for the browser tests: run npm ci (scripts/test does).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


def _new_page(browser, viewport, locale):
    """A page in a fresh context that records every Content-Security-Policy violation
    (Chromium reports each on the console: "Refused to execute inline script...")."""
    context = browser.new_context(viewport=viewport, locale=locale, is_mobile=viewport is PHONE,
                                  has_touch=viewport is PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    refused = []
    page.on("console", lambda message: refused.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text else None)
    return context, page, refused


@pytest.fixture
def phone_page(browser):
    context, page, refused = _new_page(browser, PHONE, "zh-CN")
    yield page
    context.close()
    assert refused == [], "the page did something its Content-Security-Policy refuses"


@pytest.fixture
def desktop_page(browser):
    context, page, refused = _new_page(browser, DESKTOP, "zh-CN")
    yield page
    context.close()
    assert refused == [], "the page did something its Content-Security-Policy refuses"


def sign_in(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base_url}/admin/")


@lru_cache(maxsize=1)
def _axe_source() -> str:
    return AXE_SCRIPT.read_text(encoding="utf-8")


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 AA violations on the current page."""
    # Evaluated through DevTools, as a browser extension would run it: a <script> added to
    # the page is an inline script without the page's nonce, which its policy refuses.
    page.evaluate(_axe_source())
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    found = []
    for violation in result["violations"]:
        if violation["impact"] in ("serious", "critical"):
            targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:5]]
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    return found
