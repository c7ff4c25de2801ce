"""A resident finds the evidence in three clicks: search that answers everyday questions, groups first, and gaps
that lead somewhere. Search runs in Chromium against the real site."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from playwright.sync_api import Page, expect

from portal import pipeline
from portal.cli import main
from portal.model import Site
from portal.render import Options
from tests.conftest import serve_folder
from tests.htmltools import text_of
from tests.sitefactory import SETTINGS, casestudy, write_content

# What a resident might ask, and the page that should be among the first three results.
QUESTIONS = {
    "what has the council done for disabled people": "groups/disability/",
    "help for older people living alone": "casestudies/18-older-peoples-volunteering/",
    "hate crime": "casestudies/11-hate-crime-conference/",
    "racism": "casestudies/11-hate-crime-conference/",
    "BME": "groups/race/",
    "LGBT": "groups/sexual-orientation/",
    "drugs": "casestudies/09-cocaine-awareness-group/",
    "jobs for disabled people": "casestudies/13-rose-project/",
    "bullying in schools": "casestudies/06-anti-bullying-strategy/",
    "housing for ex-offenders": "casestudies/07-offender-services/",
    "how do I complain": "casestudies/21-complaints-procedure/",
    "mosque": "casestudies/15-islamic-centre-visit/",
    "voting": "casestudies/10-local-democracy/",
    "parks": "casestudies/24-friends-of-parks/",
    "small businesses": "casestudies/14-upskilling-smes/",
    "diversity training for staff": "casestudies/19-streetcare-training/",
    "carers": "groups/carers/",
    "wheelchair sport": "casestudies/23-disability-sports/",
    "2.13": "actions/2-13/",
}
NOT_EVIDENCE = re.compile(r"^(|casestudies/|actions/|areas/|groups/|progress/|sources/|organisations/.*|"
                          r"evidence-map/|data/|search/|accessibility/|.*pack/)$")


def results(page: Page, url: str, query: str) -> list[str]:
    """The addresses of a search's results, relative to the site, in order."""
    page.goto(f"{url}search/?q={quote(query)}")
    expect(page.locator("#search-status")).to_contain_text(f"for “{query}”")
    return [unquote(href).removeprefix("/") for href in
            page.locator(".search-results__title a").evaluate_all("links => links.map(a => a.getAttribute('href'))")]


@pytest.mark.parametrize("question", QUESTIONS)
def test_a_residents_question_finds_the_page_that_answers_it(page: Page, site_url: str, question: str) -> None:
    found = results(page, site_url, question)
    assert QUESTIONS[question] in found[:3], found[:5]
    assert not [url for url in found if NOT_EVIDENCE.match(url)], "only evidence pages are results"


@pytest.mark.parametrize("nonsense", ["notaword", "xyzzy", "qwertyuiop", "zzz"])
def test_a_word_that_matches_nothing_finds_nothing(page: Page, site_url: str, nonsense: str) -> None:
    assert results(page, site_url, nonsense) == []
    expect(page.locator("#search-status")).to_have_text(f"No results for “{nonsense}”. Try other words.")


def test_results_show_whole_summaries_and_marked_excerpts(page: Page, site_url: str, built: tuple[Path, Site]) -> None:
    _out, site = built
    results(page, site_url, "ski trip")
    first = page.locator(".search-results__item").first
    study = next(s for s in site.casestudies if s.number == 3)
    expect(first.locator("p").first).to_have_text(study.summary)  # whole sentences, not a window of words
    excerpt = first.locator(".search-results__excerpt")
    expect(excerpt.locator("mark").first).to_be_visible()
    assert re.match(r"^(… )?[^…]+( …)?$", excerpt.inner_text()), excerpt.inner_text()
    assert {m.lower() for m in excerpt.locator("mark").all_inner_texts()} & {"ski", "skiing", "trip"}


def test_keywords_and_synonyms_are_content(tmp_path: Path, page: Page) -> None:
    hidden_word = casestudy(1).replace('keywords: ["parks"]', 'keywords: ["allotments"]')
    content = write_content(tmp_path, {"casestudies/01-friends-of-parks.md": hidden_word,
                                       "synonyms.yaml": 'veg patch: ["allotments"]\n'})
    out = tmp_path / "site"
    pipeline.build(pipeline.Paths(content, out), Options())
    assert "allotments" not in text_of(out / "casestudies" / "01-friends-of-parks" / "index.html")  # not shown
    server, url = serve_folder(out)
    try:
        assert results(page, url, "allotments") == ["casestudies/01-friends-of-parks/"]
        assert results(page, url, "veg patch") == ["casestudies/01-friends-of-parks/"]  # by the synonyms file
    finally:
        server.shutdown()


def test_on_a_phone_the_results_come_first_and_the_filters_fold_away(page: Page, site_url: str) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(site_url + "search/?q=training&area=Workforce&group=Disability")
    expect(page.locator("#search-status")).to_contain_text("with the filters you chose")
    summary = page.locator(".filters__summary")
    expect(summary).to_have_text("Filters (2 on)")
    first = page.locator(".search-results__title").first.bounding_box()
    assert first and first["y"] < 1000, first  # the first result is on the first screen or two, not 1,500 px down
    expect(page.locator("#area-modern-diverse-workforce")).not_to_be_visible()  # folded away
    summary.click()
    page.get_by_role("button", name="Clear filters").click()
    expect(summary).to_have_text("Filters (none on)")
    expect(page.locator("#search-status")).not_to_contain_text("filters")
    assert "area=" not in page.url and "group=" not in page.url


def test_equality_groups_are_in_the_main_navigation_and_count_all_evidence(built: tuple[Path, Site]) -> None:
    out, site = built
    nav = (out / "index.html").read_text(encoding="utf-8").split('aria-label="Main"')[1].split("</nav>")[0]
    assert '<a href="groups/">Equality groups</a>' in nav
    listing = text_of(out / "groups" / "index.html")
    orientation = site.group_by_slug["sexual-orientation"]
    studies = len(site.studies_by_group[orientation.slug])
    reports = len(site.progress_by_group[orientation.slug])
    assert reports and f"Sexual orientation {studies} case stud" in listing
    assert f"{reports} progress report" in listing.split("Sexual orientation", 1)[1][:60]


def test_the_case_study_list_can_be_narrowed_without_javascript(built: tuple[Path, Site]) -> None:
    out, site = built
    html = (out / "casestudies" / "index.html").read_text(encoding="utf-8")
    narrowing = html.split('id="narrow-title"')[1].split("</nav>")[0]
    for record in (*site.areas, *site.groups, *site.organisations):
        assert f'href="../{record.url}' in narrowing, record.url
    for area in site.areas:  # each link leads to a page listing just those case studies
        page = (out / area.url / "index.html").read_text(encoding="utf-8")
        linked = set(re.findall(r'href="\.\./\.\./(casestudies/[^"/]+/)"', page.split('id="evidence"')[1]))
        assert linked == {s.url for s in site.studies_by_area[area.slug]}


def test_every_tag_on_a_card_is_a_link(built: tuple[Path, Site]) -> None:
    out, _site = built
    html = (out / "casestudies" / "index.html").read_text(encoding="utf-8")
    cards = re.findall(r'<li class="card">(.*?)</li>', html, re.S)
    assert cards
    for card in cards:
        meta = card.split('class="card__meta"')[1]
        tags = re.findall(r"<strong class=\"tag\">", meta)
        linked = re.findall(r'<a class="tag-link" href="[^"]+"><strong class="tag">', meta)
        assert tags and len(linked) == len(tags)
        assert re.search(r'<a href="\.\./organisations/[a-z-]+/">', meta)


def test_a_gap_leads_somewhere(built: tuple[Path, Site]) -> None:
    out, site = built
    gap = site.action_by_id["2.26"]
    assert not site.studies_by_action[gap.id]
    html = (out / gap.url / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<h1 class="statement"[^>]*>' + re.escape(gap.statement.split(" ")[0]), html)
    text = text_of(out / gap.url / "index.html")
    assert "No case study shows evidence for this action yet." in text
    mailto = re.search(r'href="(mailto:[^"]+)">email the equalities team about evidence for action 2\.26</a>', html)
    assert mailto and mailto.group(1) == (f"mailto:{site.settings.contact_email}?subject=Evidence%20for%20action"
                                          "%202.26")
    assert "None" not in text.split("Actions")[0] and "Links to" not in text  # 2.26 links to no other action


def test_a_placeholder_contact_address_is_a_strict_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_content(tmp_path, {"site.yaml": SETTINGS.replace("test-council.gov.uk", "example.gov.uk")})
    assert main(["check", "--strict"]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        "content/site.yaml:7: the contact address equalities@example.gov.uk is a placeholder, which residents would "
        "write to in vain: give the equalities team's real address (or, on a demonstration site, add "
        "`checked: [\"placeholder contact address\"]`)")
    settings = (tmp_path / "content" / "site.yaml").read_text(encoding="utf-8")
    (tmp_path / "content" / "site.yaml").write_text(settings.replace("example.gov.uk", "test-council.gov.uk"),
                                                    encoding="utf-8")
    assert main(["check", "--strict"]) == 0
