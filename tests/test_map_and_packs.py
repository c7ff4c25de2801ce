"""The evidence map and the evidence packs, on screen and printed, in Chromium.

The map scrolls inside its own box, keeping its header row and action column in view, with a sign whenever part
of it is out of sight; printed, it fits A4 landscape with nothing cut off, however many case studies there are.
A pack prints each part on a new page, numbered as in its contents, with the area's name and the page number on
every page. Chromium has no target-counter(), so the contents list cannot give page numbers (see the last test)."""
from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PageObject, PdfReader

from portal import pipeline
from portal.model import Site
from portal.render import Options
from tests import sitefactory
from tests.conftest import serve_folder

WIDTHS = [320, 768, 1280]
A4_LANDSCAPE = (842, 595)  # points, rounded
A4_PORTRAIT = (595, 842)


def pdf_pages(page: Page) -> list[PageObject]:
    """The open page printed to PDF as its CSS asks (@page size), read back with pypdf."""
    return list(PdfReader(io.BytesIO(page.pdf(prefer_css_page_size=True))).pages)


def size_of(pdf_page: PageObject) -> tuple[int, int]:
    return round(float(pdf_page.mediabox.width)), round(float(pdf_page.mediabox.height))


def fold(text: str) -> str:
    """White space folded, none before a full stop or comma, and ligatures (ﬀ, ﬁ) undone, as a reader would copy
    the text."""
    return re.sub(r" (?=[.,])", "", " ".join(unicodedata.normalize("NFKC", text).split()))


def lines(pdf_page: PageObject) -> list[tuple[float, float, str]]:
    """The lines of text drawn on a PDF page, top first: (left, right edge estimate, text)."""
    found: dict[int, list[tuple[float, str, float]]] = {}

    def visit(text: str, cm: list[float], tm: list[float], _font: object, size: float) -> None:
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.setdefault(round(y), []).append((x, text, size * cm[0]))

    pdf_page.extract_text(visitor_text=visit)
    result = []
    for _y, parts in sorted(found.items(), reverse=True):
        parts.sort()
        left = parts[0][0]
        last_x, last_text, last_size = parts[-1]
        right = last_x + len(last_text.rstrip()) * last_size * 0.3  # a low estimate of the last piece's width
        result.append((left, right, fold(" ".join(text for _x, text, _s in parts))))
    return result


# The map on screen

REGION_BOX = """r => { const b = r.getBoundingClientRect();
  return {left: b.left + r.clientLeft, top: b.top + r.clientTop, right: b.left + r.clientLeft + r.clientWidth,
          bottom: b.top + r.clientTop + r.clientHeight}; }"""
# An element is in view when its middle, inside the box, shows the element itself and nothing drawn over it.
SHOWN = """(e, box) => { const b = e.getBoundingClientRect(); const x = b.left + b.width / 2, y = b.top + b.height / 2;
  const hit = document.elementFromPoint(x, y);
  return b.width > 0 && x > box.left && x < box.right && y > box.top && y < box.bottom && !!hit && e.contains(hit); }"""


def open_map(page: Page, site_url: str, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 700})
    page.goto(site_url + "evidence-map/")
    page.locator(".table-scroll").first.scroll_into_view_if_needed()


def scroll_region(page: Page, left: float, top: float) -> None:
    """Scroll the map's box to these fractions of its scroll range, and wait until it has."""
    region = page.locator(".table-scroll").first
    region.evaluate("(r, [x, y]) => { r.scrollLeft = x * (r.scrollWidth - r.clientWidth);"
                    " r.scrollTop = y * (r.scrollHeight - r.clientHeight); }", [left, top])
    page.wait_for_function("""([x, y]) => { const r = document.querySelector('.table-scroll');
      return Math.abs(r.scrollLeft - x * (r.scrollWidth - r.clientWidth)) < 2
          && Math.abs(r.scrollTop - y * (r.scrollHeight - r.clientHeight)) < 2; }""", arg=[left, top])


@pytest.mark.parametrize("width", WIDTHS)
def test_map_keeps_its_header_row_and_action_column_in_view(page: Page, site_url: str, width: int) -> None:
    open_map(page, site_url, width)
    region = page.locator(".table-scroll").first
    assert region.evaluate("r => r.scrollHeight > r.clientHeight"), "the map should scroll down inside its box"
    scroll_region(page, 1, 0.6)
    box = region.evaluate(REGION_BOX)
    corner = page.locator(".evidence-map thead th").first
    last_study = page.locator(".evidence-map thead th").last
    for cell in (corner, last_study):
        assert cell.evaluate(SHOWN, box), f"{cell.inner_text()} of the header row is out of view at {width}px"
        assert abs(cell.bounding_box()["y"] - box["top"]) < 2, "the header row should stay at the top of the box"
    # The action of a row now in the middle of the box is still shown at the box's left edge.
    actions = page.locator(".evidence-map tbody th[scope=row]")
    middle = (box["top"] + box["bottom"]) / 2
    row_headers = [h for h in actions.all() if h.bounding_box()["y"] <= middle <= h.bounding_box()["y"] + h.bounding_box()["height"]]
    assert row_headers, "no action row in the middle of the box"
    assert row_headers[0].evaluate(SHOWN, box), f"the action column scrolled away at {width}px"
    assert abs(row_headers[0].bounding_box()["x"] - box["left"]) < 2


@pytest.mark.parametrize("width", WIDTHS)
def test_map_shows_a_sign_whenever_part_of_it_is_out_of_sight(page: Page, site_url: str, width: int) -> None:
    open_map(page, site_url, width)
    region = page.locator(".table-scroll").first
    hint = region.locator(".table-scroll__hint")
    wide = region.evaluate("r => r.scrollWidth > r.clientWidth")
    if width >= 1280:  # the whole map is as wide as the content column: no column is hidden
        assert not wide and page.locator(".evidence-map").first.evaluate(
            "t => t.getBoundingClientRect().width <= t.parentElement.clientWidth")
    for left, top in [(0, 0), (0.5, 0.5), (1, 0), (0, 1), (1, 1)]:
        scroll_region(page, left, top)
        more_below = region.evaluate("r => r.scrollTop < r.scrollHeight - r.clientHeight - 1")
        if wide or more_below:
            expect(hint).to_be_visible()
            assert hint.evaluate(SHOWN, region.evaluate(REGION_BOX)), f"the scroll sign is covered at {width}px"
            words = hint.inner_text()
            assert ("sideways" in words) == wide and ("down" in words) == more_below, (left, top, words)
        else:
            expect(hint).to_be_hidden()


@pytest.mark.parametrize("width", WIDTHS)
def test_map_caption_and_area_headings_are_never_cut_off(page: Page, site_url: str, width: int) -> None:
    open_map(page, site_url, width)
    region = page.locator(".table-scroll").first
    labels = region.locator(".evidence-map__label")
    assert labels.count() == 1 + 5  # the caption and the five areas
    for left in (0, 0.5, 1):
        scroll_region(page, left, 0)
        box = region.evaluate(REGION_BOX)
        for label in labels.all():
            label.scroll_into_view_if_needed()
            box = region.evaluate(REGION_BOX)
            edges = label.evaluate("e => { const b = e.getBoundingClientRect(); return [b.left, b.right, e.scrollWidth, e.clientWidth]; }")
            assert edges[0] >= box["left"] - 1 and edges[1] <= box["right"] + 1 and edges[1] <= width, \
                f"{label.inner_text()!r} runs out of view at {width}px: {edges} in {box}"
            assert edges[2] <= edges[3], f"{label.inner_text()!r} is clipped"


# The map printed


def assert_map_printed_whole(pages: list[PageObject], numbers: list[int], action_ids: list[str]) -> None:
    """Every page is A4 landscape with no text beyond its edge; every case study and action is on some page."""
    assert pages and all(size_of(p) == A4_LANDSCAPE for p in pages), [size_of(p) for p in pages]
    printed_numbers: set[int] = set()
    printed_actions: set[str] = set()
    for p in pages:
        for left, right, text in lines(p):
            assert left >= 0 and right <= A4_LANDSCAPE[0], f"cut off at the page's edge: {text!r}"
            if text.startswith("Action Total "):
                printed_numbers |= {int(n) for n in text.removeprefix("Action Total ").split()}
            first = text.split(" ")[0]
            if first in action_ids:
                printed_actions.add(first)
    assert sorted(printed_numbers) == sorted(numbers)
    assert printed_actions == set(action_ids)


def test_map_prints_on_a4_landscape_with_nothing_cut_off(page: Page, site_url: str, built: tuple[Path, Site]) -> None:
    _out, site = built
    page.goto(site_url + "evidence-map/")
    pages = pdf_pages(page)
    assert_map_printed_whole(pages, [s.number for s in site.casestudies], [a.id for a in site.actions])
    text = fold(" ".join(p.extract_text() for p in pages))
    assert "Scroll sideways" not in text and "Scroll down" not in text
    assert "Where “The Case Studies” disagrees with its own case studies" in text


def test_a_map_of_many_case_studies_prints_in_blocks_that_fit(page: Page, tmp_path: Path) -> None:
    numbers = list(range(1001, 1061))  # four-digit numbers make the widest columns
    studies = {f"casestudies/{n}-study-{n}.md": sitefactory.casestudy(n, f"Study {n}", '["2.1"]' if n % 2 else '["2.2", "2.3"]')
               for n in numbers}
    removed = {"casestudies/01-friends-of-parks.md": None, "casestudies/02-mystery-shopper.md": None}
    content = sitefactory.write_content(tmp_path, {**studies, **removed})
    out = tmp_path / "site"
    pipeline.build(pipeline.Paths(content, out), Options(search=False))
    server, url = serve_folder(out)
    try:
        page.goto(url + "evidence-map/")
        expect(page.locator(".evidence-map")).to_have_count(4)  # 16 + 16 + 16 + 12: long numbers, wide columns
        assert_map_printed_whole(pdf_pages(page), numbers, ["2.1", "2.2", "2.3"])
    finally:
        server.shutdown()


# Evidence packs printed


def pack_parts(site: Site, slug: str) -> list[str]:
    """The headings of a pack's parts, in the order of its contents list."""
    return (["Actions and their evidence"]
            + [f"Case study {s.number}: {s.title}" for s in site.studies_by_area[slug]]
            + [f"Progress report: {r.title}" for r in site.progress_by_area[slug]])


@pytest.mark.parametrize("slug", ["modern-diverse-workforce", "community-engagement", "place-shaping-leadership"])
def test_pack_prints_each_part_on_a_new_page_with_the_area_and_page_number(
        page: Page, site_url: str, built: tuple[Path, Site], slug: str) -> None:
    _out, site = built
    area = site.area_by_slug[slug]
    page.goto(site_url + f"areas/{slug}/pack/")
    pages = pdf_pages(page)
    assert all(size_of(p) == A4_PORTRAIT for p in pages)
    texts = [[text for _l, _r, text in lines(p)] for p in pages]
    for number, page_lines in enumerate(texts, start=1):
        assert page_lines[0] == f"Evidence pack: {area.name}", (number, page_lines[:2])
        assert page_lines[-1] == f"Page {number} of {len(pages)}", (number, page_lines[-2:])
    parts = pack_parts(site, slug)
    bodies = [fold(" ".join(page_lines[1:-1])) for page_lines in texts]  # each page without its head and foot
    # The contents list may run onto a second page, which then starts with an entry of the list: the parts begin
    # on the last page that starts with the first part's heading.
    opening = max(i for i, body in enumerate(bodies) if body.startswith(f"1. {parts[0]}"))
    starts = []
    for number, heading in enumerate(parts, start=1):
        # The part's numbered heading is the first thing on a page, under the area's name.
        first = [i for i, body in enumerate(bodies) if i >= opening and body.startswith(f"{number}. {heading}")]
        assert len(first) == 1, f"part {number} ({heading}) does not start a page"
        starts.append(first[0])
    assert starts == sorted(starts) and starts[0] >= 1, starts
    contents = " ".join(bodies[:starts[0]])  # the pages before the first part: the pack's opening and contents
    for number, heading in enumerate(parts, start=1):
        assert f"{number}. {heading}" in contents, f"the contents list should give part {number}: {heading}"


def test_pack_says_how_to_print_it_and_the_note_is_not_printed(page: Page, site_url: str) -> None:
    page.goto(site_url + "areas/responsive-services/pack/")
    note = page.get_by_text("To print this pack or save it as a PDF")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Save as PDF")
    expect(page.locator(".pack__running")).to_be_hidden()  # the running head is for paper only
    printed = fold(" ".join(p.extract_text() for p in pdf_pages(page)))
    assert "Save as PDF" not in printed and "Back to the" not in printed


def test_chromium_cannot_yet_print_page_numbers_in_the_contents_list(page: Page, site_url: str) -> None:
    """The stylesheet asks for them with target-counter(), which Chromium parses but does not print. When this
    fails, Chromium has learnt it: check the contents list's page numbers against the pages each part starts on."""
    page.goto(site_url + "areas/modern-diverse-workforce/pack/")
    first_page = fold(pdf_pages(page)[0].extract_text())
    assert "1. Actions and their evidence" in first_page and ", page" not in first_page
