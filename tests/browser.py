"""Opens pages in real headless Chromium and records what they did, for the report tests.

Debian's ``chromium`` (``/usr/bin/chromium``, installed by ``./dev test``) is driven by
Playwright over the DevTools protocol; Playwright never downloads a browser of its own here.
Nothing is blocked: every request, console error, uncaught exception and dialog is recorded,
and the tests assert on the record. Each visit keeps a screenshot of the first screen under
``test-artifacts/browser/`` at the repository root.

The fixtures built on this module live in ``conftest.py``: ``chromium`` (one browser per test
session) and ``open_in_chromium`` (a new page per test).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Dialog, Error, Page, Request

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "browser"
VIEWPORT = {"width": 1280, "height": 800}  # the "first screen" of the screenshots
LOAD_TIMEOUT_MS = 30_000
SETTLE_TIMEOUT_MS = 5_000
# As root Chromium needs --no-sandbox; without the background-networking flags it keeps
# opening connections of its own (updates, sync, field trials), which this network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Not network requests: the content is in the page already.
_INLINE_SCHEMES = ("data:", "blob:", "about:")
NOT_FOUND = (
    f"Chromium not found at {CHROMIUM}: install Debian's `chromium` package (./dev test does this)"
)

saved_screenshots: list[Path] = []  # listed in the terminal summary


@dataclass
class PageVisit:
    """One page opened in Chromium, with everything it did while loading.

    Attributes:
        url: the ``file://`` URL that was opened.
        page: the Playwright page, open until the end of the test, to query the DOM.
        requests: URL of every request the page made other than for the file itself
            (``data:``, ``blob:`` and ``about:`` URLs are not requests to anywhere).
        console_errors: text of every console message of level error.
        page_errors: message of every uncaught exception in the page's scripts.
        dialogs: message of every alert, confirm or prompt the page opened (dismissed).
        screenshot: PNG of the first screen (the viewport, not the full page).
    """

    url: str
    page: Page
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    screenshot: Path | None = None

    @property
    def text(self) -> str:
        """The page's visible text (``innerText`` of the body)."""
        return self.page.inner_text("body")

    def count(self, selector: str) -> int:
        """Number of elements matching a CSS selector."""
        return self.page.locator(selector).count()

    def text_of(self, selector: str) -> str:
        """Visible text of the one element matching a CSS selector (fails if not exactly one)."""
        return self.page.locator(selector).inner_text()

    def problems(self) -> str:
        """Everything that a clean, offline page must not do, one line each ("" if none)."""
        lines = [f"request: {u}" for u in self.requests]
        lines += [f"console error: {m}" for m in self.console_errors]
        lines += [f"page error: {m}" for m in self.page_errors]
        lines += [f"dialog: {m}" for m in self.dialogs]
        return "\n".join(lines)


def chromium_or_skip() -> Path:
    """The Chromium executable; without one, skip the test (fail it when ``CI`` is set).

    Returns:
        Path to the executable.
    """
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail(NOT_FOUND + " (CI is set: browser tests never skip there)", pytrace=False)
    pytest.skip(NOT_FOUND)


@contextmanager
def launch_chromium(executable: Path) -> Iterator[Browser]:
    """Starts headless Chromium under Playwright and closes both at the end.

    Playwright gives the browser a new, empty profile (``--user-data-dir``) in a temporary
    folder and deletes it on close.

    Args:
        executable: the Chromium binary to run.

    Yields:
        The connected browser.
    """
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
        except Error as exc:
            pytest.fail(f"Chromium ({executable}) did not start: {exc}", pytrace=False)
        try:
            yield browser
        finally:
            browser.close()


def screenshot_path(nodeid: str, index: int) -> Path:
    """Where the screenshot of a test's ``index``-th visit goes (a name from its node id)."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.replace("::", "__")).strip("_")
    suffix = f"-{index}" if index else ""
    return ARTIFACTS / f"{name}{suffix}.png"


def visit(page: Page, path: Path, screenshot: Path) -> PageVisit:
    """Opens a local file in ``page``, waits until it is quiet, records and screenshots it.

    Args:
        page: a new, unused page.
        path: the HTML file.
        screenshot: where to save the PNG of the first screen.

    Returns:
        The record of the visit; its page stays open.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    url = path.resolve().as_uri()
    seen = PageVisit(url=url, page=page)

    def on_request(request: Request) -> None:
        if request.url != url and not request.url.startswith(_INLINE_SCHEMES):
            seen.requests.append(request.url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.console_errors.append(message.text)

    def on_page_error(error: Error) -> None:
        seen.page_errors.append(f"{error.name}: {error.message}" if error.name else error.message)

    def on_dialog(dialog: Dialog) -> None:
        seen.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", on_page_error)
    page.on("dialog", on_dialog)
    page.goto(url, wait_until="load", timeout=LOAD_TIMEOUT_MS)
    # Requests started after the load event (scripts, lazy images) count too. A page that never
    # goes quiet is not an error here: its requests are in the record.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_load_state("networkidle", timeout=SETTLE_TIMEOUT_MS)
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=screenshot, full_page=False)
    seen.screenshot = screenshot
    saved_screenshots.append(screenshot)
    print(f"screenshot of {path.name}: {screenshot}")
    return seen


def clear_artifacts() -> None:
    """Removes the screenshots of an earlier session, so the folder holds this one's only."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
