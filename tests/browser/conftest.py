"""Browser fixtures: the portal served live (CSRF on) from a thread, and Debian's headless
Chromium driven by Playwright at phone and desktop sizes. Never `playwright install`."""
import shutil
import threading
from types import SimpleNamespace

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from healthpal import create_app
from healthpal.domain import clock
from healthpal.extensions import db
from tests.conftest import FrozenClock

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        """No access log in the test output."""


def buffered(app):
    """`app`, handing the server whole bodies. When the browser resets a connection, Werkzeug's
    development server can fail before it closes the response, leaking the static file it had
    open (a ResourceWarning, an error under our warning filters); a buffered body is closed here."""

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@pytest.fixture(autouse=True)
def stopped_clock(monkeypatch):
    """The portal's clock stands still through each browser test, at the moment the test starts, so
    the page and the test read the same "today" even across midnight. Not a fixed date as
    `frozen_clock`: Chromium keeps cookies by the machine's real clock, and would drop at once a
    session cookie whose expiry was worked out from a day long past."""
    return FrozenClock(monkeypatch, clock.now())


@pytest.fixture(scope="session")
def browser():
    if shutil.which(CHROMIUM) is None:
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's `chromium` package to run the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def live(app, test_config):
    """The portal at a free local port, with CSRF protection on as in production (same database)."""
    live_app = create_app({**test_config, "WTF_CSRF_ENABLED": True})
    server = make_server("127.0.0.1", 0, buffered(live_app), threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(app=live_app, url=f"http://127.0.0.1:{server.socket.getsockname()[1]}")
    server.shutdown()
    server.server_close()
    thread.join()
    with live_app.app_context():
        db.engine.dispose()


def is_problem(message) -> bool:
    """A console error other than the browser noting a page's 4xx status (forms answer 422)."""
    return message.type == "error" and not message.text.startswith("Failed to load resource: the server responded")


def is_failed_fetch(response) -> bool:
    """A 4xx/5xx for an asset or an htmx request, except the designed answer to an htmx request
    whose session has ended (401 with HX-Redirect to the sign-in page)."""
    if response.status < 400 or response.request.resource_type == "document":
        return False
    return not (response.status == 401 and "hx-redirect" in response.headers)


@pytest.fixture(params=list(VIEWPORTS))
def page(request, browser, live):
    """A fresh browser tab (no cookies) at each viewport size. Fails the test on any script error,
    Content-Security-Policy violation or failed asset/htmx request the page reports."""
    context = browser.new_context(viewport=VIEWPORTS[request.param], base_url=live.url)
    context.set_default_timeout(5000)
    tab = context.new_page()
    problems = []
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.on("console", lambda message: problems.append(message.text) if is_problem(message) else None)
    tab.on("response", lambda response: problems.append(f"{response.status} {response.url}")
           if is_failed_fetch(response) else None)
    yield tab
    context.close()
    assert problems == []
