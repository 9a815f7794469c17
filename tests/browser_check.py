"""Open a built report in headless Chromium (Debian's chromium + chromedriver) and check it.

Serves the report folder on 127.0.0.1, visits index.html and every page it links to, and
collects broken links, broken images and browser console errors; saves a screenshot per page.

The programs are found on PATH (``shutil.which``) under the names in the environment variables
``CHROMIUM`` and ``CHROMEDRIVER`` (default ``chromium`` and ``chromedriver``; a path works
too). ``make test`` checks for them first and, as root, installs Debian's packages
(``scripts/ensure-test-tools.sh``).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin, urlparse

INSTALL_HINT = "sudo apt-get install chromium chromium-driver"
FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--window-size=1280,1600",
)  # fmt: skip


def _programs() -> list[tuple[str, str | None]]:
    """(name, path found on PATH or None) for Chromium, then chromedriver."""
    names = (os.environ.get("CHROMIUM", "chromium"), os.environ.get("CHROMEDRIVER", "chromedriver"))
    return [(name, shutil.which(name)) for name in names]


def chromium_available() -> bool:
    return all(path is not None for _, path in _programs())


def browser_paths() -> tuple[str, str]:
    """The paths of Chromium and chromedriver, or RuntimeError naming what to install."""
    programs = _programs()
    missing = [name for name, path in programs if path is None]
    if missing:
        raise RuntimeError(
            f"the browser tests need Chromium and chromedriver; not found on PATH: {missing}. "
            f"Install Debian's packages ({INSTALL_HINT}), or set CHROMIUM and CHROMEDRIVER."
        )
    (_, chromium_path), (_, driver_path) = programs
    return chromium_path, driver_path


@contextmanager
def serve(folder: Path):
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def chromium(user_data_dir: Path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium_path, driver_path = browser_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium_path
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={user_data_dir}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(user_data_dir, ignore_errors=True)


_BROKEN_IMAGES = """return Array.from(document.images)
  .filter(img => !img.complete || img.naturalWidth === 0).map(img => img.getAttribute('src'));"""
_LINKS = "return Array.from(document.querySelectorAll('a[href]')).map(a => a.href);"
_LINK_STATUS = """const done = arguments[arguments.length - 1];
fetch(arguments[0], {method: 'GET'}).then(r => done(r.status)).catch(e => done(String(e)));"""


def check_report(folder: Path, screenshots: Path, work: Path) -> dict:
    """Visit index.html and every page it links to; return problems and what was visited."""
    problems, visited, shots = [], [], []
    screenshots.mkdir(parents=True, exist_ok=True)
    with serve(folder) as base, chromium(work / "chromium-profile") as driver:
        driver.set_script_timeout(30)
        queue, seen = [urljoin(base, "index.html")], set()
        while queue:
            url = queue.pop(0)
            if url in seen:
                continue
            seen.add(url)
            driver.get(url)
            visited.append(url)
            name = urlparse(url).path.strip("/").replace("/", "_") or "index.html"
            shot = screenshots / f"{Path(name).stem}.png"
            driver.save_screenshot(str(shot))
            shots.append(shot)
            for src in driver.execute_script(_BROKEN_IMAGES):
                problems.append(f"{url}: broken image {src}")
            for entry in driver.get_log("browser"):
                if entry["level"] == "SEVERE":
                    problems.append(f"{url}: console error: {entry['message']}")
            for link in driver.execute_script(_LINKS):
                target = link.split("#")[0]
                if not target.startswith(base):
                    problems.append(f"{url}: link leaves the report: {link}")
                    continue
                status = driver.execute_async_script(_LINK_STATUS, target)
                if status != 200:
                    problems.append(f"{url}: broken link {link} ({status})")
                elif target.endswith(".html") and target not in seen:
                    queue.append(target)
    return {"problems": problems, "visited": visited, "screenshots": shots}
