#!/usr/bin/env python3
"""Screenshots of the real site for the README: the home page, a case study, the evidence map and search, at
1280 and 320 CSS pixels wide, made in headless Chromium (Debian's /usr/bin/chromium, as the tests use it).

    python scripts/screenshots.py [--out docs/screenshots]
"""
from __future__ import annotations

import argparse
import functools
import http.server
import sys
import tempfile
import threading
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from portal import pipeline  # noqa: E402 (after the project is on the path)
from portal.render import Options  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
SHOTS = {  # file name: page, and how much of it to show (CSS pixels high)
    "home": ("", 900),
    "case-study": ("casestudies/07-offender-services/", 1100),
    "evidence-map": ("evidence-map/", 900),
    "search": ("search/?q=what%20has%20the%20council%20done%20for%20disabled%20people", 1000),
}
WIDTHS = (1280, 320)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def main() -> int:
    """Build the real content, serve it on 127.0.0.1 and write one PNG per page and width."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PROJECT / "docs" / "screenshots")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        site = Path(scratch) / "site"
        pipeline.build(pipeline.Paths(PROJECT / "content", site), Options())
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 800})
                for name, (path, height) in SHOTS.items():
                    page.goto(url + path)
                    if path.startswith("search/"):
                        expect(page.locator("#search-status")).to_contain_text("result")
                    page.set_viewport_size({"width": width, "height": height if width > 400 else height + 300})
                    target = out / f"{name}-{width}.png"
                    page.screenshot(path=str(target))
                    print(target.relative_to(PROJECT) if target.is_relative_to(PROJECT) else target)
            browser.close()
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
