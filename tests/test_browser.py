"""In headless Chromium: search finds and filters, and axe-core finds no WCAG 2.2 A or AA violation."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from portal import pipeline
from portal.model import Site
from portal.render import Options
from tests.conftest import PROJECT, serve_folder

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}


def search(page: Page, url: str, query: str) -> list[str]:
    """Type a query on the search page and return the result titles once they are announced."""
    page.goto(url + "search/")
    page.get_by_label("Search case studies, actions and areas").fill(query)
    page.keyboard.press("Enter")
    expect(page.locator("#search-status")).to_contain_text(f"for “{query}”")
    return page.locator(".search-results__title").all_inner_texts()


def test_search_finds_a_phrase_from_a_case_study(page: Page, site_url: str) -> None:
    titles = search(page, site_url, "Cocaine users")
    assert titles[0] == "Cocaine Awareness Group for Adults"
    page.get_by_role("link", name="Cocaine Awareness Group for Adults").click()
    expect(page).to_have_url(site_url + "casestudies/09-cocaine-awareness-group/")


def test_area_filter_narrows_the_results(page: Page, site_url: str, built: tuple[Path, Site]) -> None:
    _out, site = built
    before = search(page, site_url, "training")
    area = site.area_by_slug["modern-diverse-workforce"]
    page.locator("label", has_text=area.name).click()
    expect(page.locator("#search-status")).to_contain_text("with the filters you chose")
    after = page.locator(".search-results__title").all_inner_texts()
    in_area = {s.title for s in site.studies_by_area[area.slug]} | {f"Action {a.id}" for a in site.actions_by_area[area.slug]}
    in_area |= {area.name} | {p.title for p in site.progress_by_area[area.slug]}
    assert after and len(after) < len(before)
    assert set(after) <= in_area, set(after) - in_area
    assert "Diversity Training for Streetcare Staff" not in before or "E & D Training for StreetCare Staff" in after
    assert "area=Workforce" in page.url


def test_home_search_box_leads_to_results(page: Page, site_url: str) -> None:
    page.goto(site_url)
    page.get_by_label("Search the evidence").fill("Friends of Parks")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/search/\?q=Friends"))
    expect(page.locator(".search-results__title").first).to_have_text("Friends of Parks")


def test_search_works_under_a_sub_path(page: Page, tmp_path: Path) -> None:
    out = tmp_path / "site"
    pipeline.build(pipeline.Paths(PROJECT / "content", out), Options("https://example.org/equality/"))
    server, url = serve_folder(out, "/equality/")
    try:
        search(page, url, "Islamic Centre")
        page.locator(".search-results__title a").first.click()
        expect(page).to_have_url(url + "casestudies/15-islamic-centre-visit/")
        page.get_by_role("link", name="Evidence map").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Evidence map")
        page.goto(url + "no/such/page/")
        page.get_by_role("link", name="home page").click()
        expect(page).to_have_url(url)
    finally:
        server.shutdown()


PAGES = ["", "casestudies/", "casestudies/17-peer-communicators/", "areas/responsive-services/", "actions/2-13/",
         "actions/2-26/", "evidence-map/", "search/", "search/?q=disability", "accessibility/", "groups/age/"]


@pytest.mark.parametrize("path", PAGES)
def test_no_wcag_violations(page: Page, site_url: str, path: str) -> None:
    page.goto(site_url + path)
    if path.startswith("search/?"):
        expect(page.locator("#search-status")).to_contain_text("results")
    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


def test_no_script_but_on_search(page: Page, site_url: str) -> None:
    scripts: list[str] = []
    page.on("request", lambda request: scripts.append(request.url) if request.resource_type == "script" else None)
    page.goto(site_url + "casestudies/01-school-improvement-strategy/")
    page.goto(site_url + "evidence-map/")
    assert scripts == []
    page.goto(site_url + "search/?q=parks")
    expect(page.locator("#search-status")).to_contain_text("results")
    assert any(url.endswith("pagefind.js") for url in scripts)


def test_no_page_scrolls_sideways_at_320px(page: Page, site_url: str, built: tuple[Path, Site]) -> None:
    out, _site = built
    page.set_viewport_size({"width": 320, "height": 640})
    wide = []
    for html in sorted(out.rglob("*.html")):
        path = html.relative_to(out).as_posix().removesuffix("index.html")
        page.goto(site_url + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            wide.append(f"{path or '/'} is {width}px wide")
    assert wide == []
    page.goto(site_url + "evidence-map/")
    region = page.get_by_role("region", name="Actions (rows) against case studies (columns)")
    assert region.evaluate("e => e.scrollWidth > e.clientWidth")
    page.keyboard.press("Tab")
    for _ in range(40):
        if page.evaluate("document.activeElement.getAttribute('role')") == "region":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('role')") == "region"
