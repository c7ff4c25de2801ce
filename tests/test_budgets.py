"""Light pages: a case study and its CSS weigh under 30 KB, only search has a script, and in Chromium every
request a page makes goes to the site's own origin."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Page, Request, expect

from portal import pipeline
from portal.model import Site
from portal.render import Options
from tests.conftest import PROJECT

CASE_STUDY_BUDGET = 30_000  # bytes, uncompressed: the HTML file plus every stylesheet it links
STYLESHEET = re.compile(r'<link rel="stylesheet" href="([^"?]+)')


def test_every_case_study_and_its_css_weigh_under_30_kb(built: tuple[Path, Site]) -> None:
    out, site = built
    heavy = []
    for study in site.casestudies:
        page = out / study.url / "index.html"
        html = page.read_text(encoding="utf-8")
        sheets = STYLESHEET.findall(html)
        assert sheets, f"{study.url} links no stylesheet"
        weight = page.stat().st_size + sum((page.parent / href).resolve().stat().st_size for href in sheets)
        if weight >= CASE_STUDY_BUDGET:
            heavy.append(f"{study.url}: {weight} bytes")
    assert len(site.casestudies) == 24
    assert heavy == [], heavy


def scripts_by_page(out: Path) -> dict[str, list[str]]:
    """The <script> tags of every page that has any."""
    found = {}
    for page in sorted(out.rglob("*.html")):
        tags = re.findall(r"<script\b[^>]*>", page.read_text(encoding="utf-8"), flags=re.IGNORECASE)
        if tags:
            found[page.relative_to(out).as_posix()] = tags
    return found


def test_no_script_on_any_page_but_search(built: tuple[Path, Site]) -> None:
    out, _site = built
    found = scripts_by_page(out)
    assert list(found) == ["search/index.html"], found
    assert len(found["search/index.html"]) == 1 and 'src="../assets/search.js?v=' in found["search/index.html"][0]
    for page in out.rglob("*.html"):
        assert not re.search(r"\son[a-z]+=|javascript:", page.read_text(encoding="utf-8")), page


def test_only_the_dev_build_has_the_reload_script(tmp_path: Path) -> None:
    out = tmp_path / "site"
    pipeline.build(pipeline.Paths(PROJECT / "content", out), Options(search=False, dev=True))
    assert "dev.js" in (out / "casestudies" / "index.html").read_text(encoding="utf-8")
    pipeline.build(pipeline.Paths(PROJECT / "content", out), Options(search=False))
    assert list(scripts_by_page(out)) == ["search/index.html"]
    assert not (out / "assets" / "dev.js").exists()


SELECTION = ["", "casestudies/07-offender-services/", "areas/community-engagement/", "actions/2-13/",
             "evidence-map/", "search/?q=parks", "areas/responsive-services/pack/"]


def test_every_request_stays_on_the_site(page: Page, site_url: str) -> None:
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(site_url))
    requests: dict[str, list[str]] = {}
    current = [""]

    def record(request: Request) -> None:
        requests.setdefault(current[0], []).append(request.url)

    page.on("request", record)
    for path in SELECTION:
        current[0] = path
        page.goto(site_url + path, wait_until="networkidle")
        if path.startswith("search/"):
            expect(page.locator(".search-results__title").first).to_be_visible()
            page.wait_for_load_state("networkidle")
    elsewhere = {path: [u for u in urls if not u.startswith(origin + "/")] for path, urls in requests.items()}
    assert {path: urls for path, urls in elsewhere.items() if urls} == {}
    assert set(requests) == set(SELECTION)
    assert any("pagefind" in u for u in requests["search/?q=parks"]), "search made no request for its index"
