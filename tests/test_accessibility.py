"""In headless Chromium, on every page: axe-core finds no WCAG 2.2 A or AA violation, pages reflow at 320px and
at 200% zoom, and a keyboard-only reader can skip to the content, search, filter and open a result."""
from __future__ import annotations

from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from portal.model import Site
from tests.htmltools import page_paths

# Only violations are wanted: asking axe for the details of passes as well would make it slower.
WCAG = {"resultTypes": ["violations"],
        "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}
# Search with results showing, as a reader sees it: a query alone, and a query narrowed by an area filter.
SEARCHES = ["search/?q=disability", "search/?q=training&area=Workforce"]


def visit(page: Page, url: str) -> None:
    """Open a page; on search, wait until the results are announced."""
    page.goto(url)
    if "search/?" in url:
        expect(page.locator("#search-status")).to_contain_text("result")


def test_axe_finds_nothing_on_any_page(page: Page, site_url: str, built: tuple[Path, Site]) -> None:
    out, _site = built
    paths = page_paths(out) + SEARCHES
    assert len(paths) > 90 and "404.html" in paths
    failures = []
    axe = Axe()
    for path in paths:
        visit(page, site_url + path)
        results = axe.run(page, options=WCAG)
        for violation in results.response["violations"]:
            nodes = "; ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
            failures.append(f"/{path}: {violation['id']} ({violation['help']}) at {nodes}")
    assert failures == [], "\n".join(failures)


def overflowing(page: Page, site_url: str, paths: list[str]) -> list[str]:
    """The pages, among these, whose document is wider than the viewport, so the reader must scroll sideways."""
    wide = []
    for path in paths:
        visit(page, site_url + path)
        scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if scroll > client:
            wide.append(f"/{path} is {scroll}px wide in a {client}px viewport")
    return wide


def test_every_page_reflows_at_320_css_pixels(page: Page, site_url: str, built: tuple[Path, Site]) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    assert overflowing(page, site_url, page_paths(built[0]) + SEARCHES) == []


def test_every_page_reflows_at_1280_pixels_zoomed_to_200_percent(browser: Browser, site_url: str,
                                                                   built: tuple[Path, Site]) -> None:
    # Browser zoom at 200% halves the CSS pixels across the window: a 1280px window lays out 640 CSS px, with two
    # device pixels per CSS pixel. A 640px viewport at device scale factor 2 is exactly that, media queries
    # included; CSS `zoom` on the root would instead leave the viewport and media queries at 1280px.
    context = browser.new_context(viewport={"width": 640, "height": 400}, device_scale_factor=2)
    try:
        assert overflowing(context.new_page(), site_url, page_paths(built[0]) + SEARCHES) == []
    finally:
        context.close()


def test_evidence_map_scrolls_inside_a_labelled_keyboard_region(page: Page, site_url: str) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(site_url + "evidence-map/")
    region = page.locator(".table-scroll")
    assert region.evaluate("e => e.scrollWidth > e.clientWidth")
    expect(region).to_have_attribute("role", "region")
    expect(region).to_have_attribute("tabindex", "0")
    expect(page.get_by_role("region", name="Actions (rows) against case studies (columns)")).to_have_count(1)
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('table-scroll')"):
            break
    assert page.evaluate("document.activeElement.classList.contains('table-scroll')")
    assert_focus_visible(page)
    page.keyboard.press("ArrowRight")
    expect(region).not_to_have_js_property("scrollLeft", 0)


# The focused element's own appearance, or for a visually hidden checkbox its label's drawn box (GOV.UK pattern).
FOCUS_STYLE = """() => {
  let el = document.activeElement, pseudo = null;
  if (el.matches('input[type=checkbox]') && getComputedStyle(el).opacity === '0') { el = el.labels[0]; pseudo = '::before'; }
  const s = getComputedStyle(el, pseudo);
  return {outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`, visibleOutline: s.outlineStyle !== 'none'
          && parseFloat(s.outlineWidth) > 0 && !/^rgba\\(.*, 0\\)$|transparent/.test(s.outlineColor),
          boxShadow: s.boxShadow, background: s.backgroundColor};
}"""


def focus_description(page: Page) -> str:
    return page.evaluate("(e => e.outerHTML.slice(0, 120))(document.activeElement)")


def assert_focus_visible(page: Page) -> None:
    """Focus is on an element, not lost to the body, and that element looks different when focused."""
    assert page.evaluate("document.activeElement && document.activeElement !== document.body"), "focus was lost"
    focused = page.evaluate(FOCUS_STYLE)
    # Compare with the same element unfocused, then give focus back (Chromium keeps :focus-visible after a key press).
    page.evaluate("window.__focused = document.activeElement; window.__focused.blur()")
    blurred = page.evaluate(FOCUS_STYLE.replace("document.activeElement", "window.__focused"))
    page.evaluate("window.__focused.focus()")
    assert page.evaluate("document.activeElement === window.__focused")
    assert page.evaluate(FOCUS_STYLE) == focused, "focus looked different when it was given back"
    changed = focused["visibleOutline"] or focused["boxShadow"] != blurred["boxShadow"] \
        or focused["background"] != blurred["background"]
    assert changed, f"no visible focus indicator on {focus_description(page)}: {focused} unfocused {blurred}"


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching the selector has focus, checking the focus indicator at every stop."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        assert_focus_visible(page)
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_only_journey_from_home_to_a_search_result(page: Page, site_url: str) -> None:
    page.goto(site_url)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches('a.skip-link')"), "the skip link is not first"
    box = page.evaluate("(r => [r.left, r.top, r.width, r.height])(document.activeElement.getBoundingClientRect())")
    assert box[0] >= 0 and box[1] >= 0 and box[2] > 1 and box[3] > 1, f"focused skip link is off screen: {box}"
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main", "skip link did not move focus to the content"
    tab_to(page, "#home-search")
    page.keyboard.type("training")
    page.keyboard.press("Enter")
    expect(page).to_have_url(site_url + "search/?q=training")
    expect(page.locator("#search-status")).to_contain_text("for “training”")
    before = page.locator(".search-results__title").all_inner_texts()
    tab_to(page, ".filters__summary")
    page.keyboard.press("Enter")  # opens the filters
    tab_to(page, "#area-modern-diverse-workforce")
    page.keyboard.press("Space")
    assert_focus_visible(page)
    expect(page.locator("#area-modern-diverse-workforce")).to_be_checked()
    expect(page.locator("#search-status")).to_contain_text("with the filters you chose")
    after = page.locator(".search-results__title").all_inner_texts()
    assert after and len(after) < len(before)
    tab_to(page, ".search-results__title a")
    target = page.evaluate("document.activeElement.href")
    page.keyboard.press("Enter")
    expect(page).to_have_url(target)
    expect(page.get_by_role("heading", level=1)).to_have_text(after[0])
