"""In headless Chromium: search finds and filters, and works under a sub-path; only search runs a script."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from portal import pages, pipeline
from portal import search as search_index
from portal.model import Site
from portal.render import Options
from tests.conftest import PROJECT, serve_folder

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
    page.get_by_text("Filters (none on)").click()
    page.locator("label", has_text=area.name).click()
    expect(page.locator("#search-status")).to_contain_text("with the filters you chose")
    expect(page.get_by_text("Filters (1 on)")).to_be_visible()
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


def test_search_finds_the_same_in_an_index_written_in_parts(page: Page, site_url: str, tmp_path: Path,
                                                           built: tuple[Path, Site],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _out, site = built
    monkeypatch.setattr(search_index, "SPLIT_FROM", 1)
    out = tmp_path / "site"
    pipeline.build(pipeline.Paths(PROJECT / "content", out), Options("https://example.org/equality/"))
    whole = search(page, site_url, "training")  # the session's site: one index
    titles = {spec.path: spec.title for spec in pages.plan(site)}
    in_each = [{titles[path] for path in share}
               for share in search_index.parts([s.path for s in pages.plan(site) if s.indexed]).values()]
    assert len(in_each) == 2 and all(set(whole) & part for part in in_each)  # results from both parts
    server, url = serve_folder(out, "/equality/")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    try:
        assert sorted(search(page, url, "training")) == sorted(whole)
        assert any("/equality/pagefind/part-2/" in address for address in requested)
        area = site.area_by_slug["modern-diverse-workforce"]
        page.get_by_text("Filters (none on)").click()
        page.locator("label", has_text=area.name).click()
        expect(page.locator("#search-status")).to_contain_text("with the filters you chose")
        narrowed = page.locator(".search-results__title").all_inner_texts()
        page.goto(site_url + "search/?q=training&area=Workforce")
        expect(page.locator("#search-status")).to_contain_text("with the filters you chose")
        assert sorted(narrowed) == sorted(page.locator(".search-results__title").all_inner_texts())
        assert len(narrowed) < len(whole)
    finally:
        server.shutdown()


# axe-core and reflow on every page are tested in test_accessibility.py.


def test_no_script_but_on_search(page: Page, site_url: str) -> None:
    scripts: list[str] = []
    page.on("request", lambda request: scripts.append(request.url) if request.resource_type == "script" else None)
    page.goto(site_url + "casestudies/01-school-improvement-strategy/")
    page.goto(site_url + "evidence-map/")
    assert scripts == []
    page.goto(site_url + "search/?q=parks")
    expect(page.locator("#search-status")).to_contain_text("results")
    assert any(url.endswith("pagefind.js") for url in scripts)

