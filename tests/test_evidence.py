"""Progress reports, equality groups, open data, the feed, evidence packs and the dates on every page."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from portal import pipeline
from portal.cli import main
from portal.model import Site
from portal.render import Options, govuk_date
from tests.conftest import PROJECT
from tests.htmltools import section, text_of
from tests.sitefactory import SETTINGS, casestudy, organisation, source, write_content

CONTENT = PROJECT / "content"
ATOM = "{http://www.w3.org/2005/Atom}"


def meta(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("\n---\n", 1)[0].removeprefix("---\n"))


def read_csv(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 byte order mark for spreadsheets"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_six_progress_reports_from_harrow(built: tuple[Path, Site]) -> None:
    out, site = built
    files = sorted((CONTENT / "progress").glob("*.md"))
    assert len(files) == 6
    for path in files:
        data = meta(path)
        assert (data["organisation"], data["source"]) == ("harrow", "harrow-equality-progress-2011")
        page = out / "progress" / path.stem / "index.html"
        assert data["title"] in text_of(page)
        for area in data["areas"]:
            area_html = (out / "areas" / area / "index.html").read_text(encoding="utf-8")
            assert f'href="../../progress/{path.stem}/"' in section(area_html, "Progress reports for this area")
    listing = text_of(out / "progress" / "index.html")
    assert all(meta(p)["title"] in listing for p in files)


def test_every_item_names_its_organisation_and_is_filterable(built: tuple[Path, Site]) -> None:
    out, site = built
    for item in [*site.casestudies, *site.progress]:
        html = (out / item.url / "index.html").read_text(encoding="utf-8")
        organisation = site.organisation_by_slug[item.organisation]
        assert re.search(rf'<dt>Organisation</dt><dd><a href="(\.\./)+{organisation.url}">{organisation.name}</a>',
                         html), item.url
        assert f'data-pagefind-filter="organisation:{organisation.name}"' in html
    search = (out / "search" / "index.html").read_text(encoding="utf-8")
    assert '<option value="London Borough of Harrow">' in search and 'name="group"' in search


def test_group_pages_list_exactly_the_tagged_evidence(built: tuple[Path, Site]) -> None:
    out, site = built
    assert len(site.groups) == 11
    for group in site.groups:
        html = (out / group.url / "index.html").read_text(encoding="utf-8")
        for study in site.casestudies:
            assert (f'href="../../{study.url}"' in html) == (group.slug in study.groups), (group.slug, study.number)
        for report in site.progress:
            assert (f'href="../../{report.url}"' in html) == (group.slug in report.groups), (group.slug, report.number)


@pytest.mark.parametrize("name", ["casestudies", "actions", "progress", "evidence-map"])
def test_csv_reads_back_the_same_values_as_json(built: tuple[Path, Site], name: str) -> None:
    out, _site = built
    rows = read_csv(out / "data" / f"{name}.csv")
    records = json.loads((out / "data" / f"{name}.json").read_text(encoding="utf-8"))
    assert len(rows) == len(records) > 0
    for row, record in zip(rows, records):
        assert list(row) == list(record)
        for key, value in record.items():
            expected = "; ".join(map(str, value)) if isinstance(value, list) else "" if value is None else str(value)
            assert row[key] == expected, (name, key)


def test_csv_round_trips_to_the_content(built: tuple[Path, Site]) -> None:
    out, _site = built
    rows = {int(r["number"]): r for r in read_csv(out / "data" / "casestudies.csv")}
    for path in sorted((CONTENT / "casestudies").glob("*.md")):
        data = meta(path)
        row = rows[data["number"]]
        assert row["title"] == data["title"] and row["summary"] == data["summary"]
        assert row["actions"].split("; ") == data["actions"]
        assert (row["groups"].split("; ") if row["groups"] else []) == data.get("groups", [])
    pairs = {(int(r["casestudy"]), r["action"]) for r in read_csv(out / "data" / "evidence-map.csv")}
    assert pairs == {(meta(p)["number"], a) for p in (CONTENT / "casestudies").glob("*.md") for a in meta(p)["actions"]}
    progress = {int(r["number"]): r for r in read_csv(out / "data" / "progress.csv")}
    for path in (CONTENT / "progress").glob("*.md"):
        data = meta(path)
        assert progress[data["number"]]["areas"].split("; ") == data["areas"]


def test_data_page_describes_every_file_and_the_licence(built: tuple[Path, Site]) -> None:
    out, _site = built
    text = text_of(out / "data" / "index.html")
    assert "Open Government Licence v3.0" in text
    html = (out / "data" / "index.html").read_text(encoding="utf-8")
    for name in ["casestudies", "actions", "progress", "evidence-map", "organisations", "sources"]:
        for kind in ("csv", "json"):
            assert f'href="../data/{name}.{kind}"' in html, (name, kind)
            assert (out / "data" / f"{name}.{kind}").is_file()
        for field in json.loads((out / "data" / f"{name}.json").read_text(encoding="utf-8"))[0]:
            assert f"<code>{field}</code>" in html, (name, field)


def test_atom_feed_lists_case_studies_and_progress_reports(built: tuple[Path, Site]) -> None:
    out, site = built
    feed = ET.parse(out / "feed.xml").getroot()
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == len(site.casestudies) + len(site.progress)
    links = {e.find(f"{ATOM}link").get("href") for e in entries}
    assert links == {s.url for s in site.casestudies} | {p.url for p in site.progress}
    ids = [e.find(f"{ATOM}id").text for e in entries]
    assert len(set(ids)) == len(ids) and all(i.startswith("urn:uuid:") for i in ids)
    updated = [e.find(f"{ATOM}updated").text for e in entries]
    assert updated == sorted(updated, reverse=True)


def test_evidence_pack_has_everything_for_the_area_in_order(built: tuple[Path, Site]) -> None:
    out, site = built
    area = site.area_by_slug["modern-diverse-workforce"]
    html = (out / area.url / "pack" / "index.html").read_text(encoding="utf-8")
    studies = site.studies_by_area[area.slug]
    positions = [html.index(f'<h2 id="{s.slug}">') for s in studies]
    assert positions == sorted(positions)
    contents = html.split('id="contents-title"')[1].split("</nav>")[0]
    for study in studies:
        assert f'href="#{study.slug}"' in contents
        first_words = " ".join(text_of(out / study.url / "index.html").split("What we did")[2].split()[:12])
        assert first_words in text_of(out / area.url / "pack" / "index.html")
    for report in site.progress_by_area[area.slug]:
        assert f'<h2 id="{report.slug}">' in html
    for action in site.actions_by_area[area.slug]:
        assert f"<th scope=\"row\">{action.id}</th>" in html
    assert html.count('id="') == len(set(__import__("re").findall(r'id="([^"]+)"', html)))


def test_every_case_study_has_a_citation_and_a_last_updated_date(built: tuple[Path, Site]) -> None:
    out, site = built
    for study in site.casestudies:
        text = text_of(out / study.url / "index.html").replace(" ,", ",")  # text_of parts the <cite> from its comma
        organisation = site.organisation_by_slug[study.organisation].name
        document = site.document_by_slug[study.document].title
        assert (f"How to cite this case study {organisation}. “{study.title}”, case study {study.number}, in {document}, "
                f"covering {site.period_of(study)}. Read on {site.settings.title}") in text
        assert study.updated and f"This page last changed {govuk_date(study.updated)}" in text


def test_last_updated_comes_from_history_then_front_matter(tmp_path: Path) -> None:
    content = write_content(tmp_path, {"casestudies/02-mystery-shopper.md": casestudy(
        2, "The Mystery Shopper", '["2.2"]', extra="updated: 2011-05-04\n")})
    env = {**os.environ, "GIT_AUTHOR_DATE": "2020-02-03T10:00:00Z", "GIT_COMMITTER_DATE": "2020-02-03T10:00:00Z"}
    git = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org"]
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "add", "content/casestudies/01-friends-of-parks.md"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "one"], cwd=tmp_path, check=True, env=env)
    site = pipeline.build(pipeline.Paths(content, tmp_path / "site"), Options(search=False))
    assert [s.updated for s in site.casestudies] == ["2020-02-03", "2011-05-04"]


def test_progress_report_naming_an_unknown_area(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.chdir(tmp_path)
    report = ('---\ntitle: "Improve data"\nnumber: 1\nsummary: "We improved data."\norganisation: "test-council"\n'
              'source: "test-report"\nareas: ["knowing"]\n---\n\n## Achievements\n\n- Published a profile.\n')
    write_content(tmp_path, {"progress/01-improve-data.md": report})
    assert main(["check", "--content", "content"]) == 1
    assert ("content/progress/01-improve-data.md:7: unknown area 'knowing' (known: engagement, workforce, "
            "see content/areas/)") in capsys.readouterr().err.splitlines()


def test_progress_report_naming_an_unknown_group(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.chdir(tmp_path)
    report = ('---\ntitle: "Improve data"\nnumber: 1\nsummary: "We improved data."\norganisation: "test-council"\n'
              'source: "test-report"\nareas: ["engagement"]\ngroups: ["older people"]\n---\n\n## Achievements\n\n- Published a profile.\n')
    write_content(tmp_path, {"progress/01-improve-data.md": report})
    assert main(["check", "--content", "content"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert ("content/progress/01-improve-data.md:8: `groups` has 'older people', which is not written like "
            "[\"race\", \"sex\"]") in err


def two_councils(root: Path) -> Path:
    """A site with the evidence of two organisations, each from a document of its own."""
    harrow = casestudy(2, "Harrow Study", '["2.2"]').replace('"test-council"', '"harrow"').replace(
        '"test-report"', '"harrow-report"')
    report = ('---\ntitle: "Improve data"\nnumber: 1\nsummary: "We published a profile."\norganisation: "harrow"\n'
              'source: "harrow-report"\nareas: ["engagement"]\nperiod: "2011/12"\n---\n\n## Achievements\n\n'
              '- We published a profile.\n')
    return write_content(root, {
        "site.yaml": SETTINGS.replace('owner: "Test Council"', 'owner: "The Portal Team"'),
        "organisations/harrow.md": organisation("London Borough of Harrow", "Harrow", "https://www.harrow.gov.uk/"),
        "sources/harrow-report.md": source("Progress report", "harrow", "2010/11").replace(
            'period: "2010/11"\n', 'period: "2010/11"\npublished: "2012-03"\n'),
        "casestudies/02-mystery-shopper.md": None, "casestudies/02-harrow-study.md": harrow,
        "progress/01-improve-data.md": report})


def test_each_page_names_its_own_organisation_and_source_and_never_the_other(tmp_path: Path) -> None:
    out = tmp_path / "site"
    site = pipeline.build(pipeline.Paths(two_councils(tmp_path), out), Options(search=False))
    pages = {"test-council": ["casestudies/01-friends-of-parks/", "organisations/test-council/",
                              "sources/test-report/"],
             "harrow": ["casestudies/02-harrow-study/", "progress/01-improve-data/", "organisations/harrow/",
                        "sources/harrow-report/"]}
    for slug, urls in pages.items():
        mine = site.organisation_by_slug[slug].name
        other = next(o.name for o in site.organisations if o.slug != slug)
        for url in urls:
            text = text_of(out / url / "index.html")
            assert mine in text and other not in text, (url, mine)
    study = re.sub(r" ([,.:’'])", r"\1", text_of(out / "casestudies" / "02-harrow-study" / "index.html"))
    assert ("This case study is the London Borough of Harrow's evidence, taken from its document “Progress report”. "
            "The work it describes dates from 2010/11 (the period the document covers).") in study
    assert "When the work took place 2010/11" in study and "This page last changed" in study
    assert "London Borough of Harrow (March 2012). “Harrow Study”, case study 2, in Progress report, covering 2010/11." \
        in study
    report = text_of(out / "progress" / "01-improve-data" / "index.html")
    assert "The work it describes dates from 2011/12." in report  # its own period, not the document's
    assert "(matched by the portal's editors)" in report
    source_page = text_of(out / "sources" / "harrow-report" / "index.html")
    assert "Date published March 2012" in source_page and "Harrow Study" in source_page
    assert "Improve data" in source_page and "Friends of Parks" not in source_page


def test_open_data_and_the_feed_name_each_records_own_organisation(tmp_path: Path) -> None:
    out = tmp_path / "site"
    pipeline.build(pipeline.Paths(two_councils(tmp_path), out), Options(search=False))
    rows = {r["number"]: r for r in csv.DictReader(io.StringIO(
        (out / "data" / "casestudies.csv").read_text(encoding="utf-8-sig")))}
    assert (rows["1"]["organisation"], rows["1"]["source"], rows["1"]["period"]) == (
        "Test Council", "Test report", "2009 to 2010")
    assert (rows["2"]["organisation"], rows["2"]["source_id"], rows["2"]["attribution"]) == (
        "London Borough of Harrow", "harrow-report", "Contains evidence from the London Borough of Harrow, via Test portal")
    progress = json.loads((out / "data" / "progress.json").read_text(encoding="utf-8"))
    assert [(p["organisation_id"], p["period"]) for p in progress] == [("harrow", "2011/12")]
    sources = json.loads((out / "data" / "sources.json").read_text(encoding="utf-8"))
    assert {s["id"]: s["publisher"] for s in sources} == {"harrow-report": "harrow", "test-report": "test-council"}
    data_page = text_of(out / "data" / "index.html").replace(" :", ":")
    assert "for the records of the London Borough of Harrow: “Contains evidence from the London Borough of Harrow, " \
           "via Test portal”" in data_page
    feed = ET.parse(out / "feed.xml").getroot()
    authors = {e.find(f"{ATOM}title").text: e.find(f"{ATOM}author/{ATOM}name").text for e in feed.iter(f"{ATOM}entry")}
    assert authors == {"Friends of Parks": "Test Council", "Harrow Study": "London Borough of Harrow",
                       "Improve data": "London Borough of Harrow"}


def test_a_summary_that_is_not_the_texts_own_sentences_is_a_strict_finding(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    os.chdir(tmp_path)
    cut = casestudy(1).replace('summary: "We met the Friends groups."', 'summary: "We met the Friends."')
    write_content(tmp_path, {"casestudies/01-friends-of-parks.md": cut})
    assert main(["check", "--strict"]) == 1
    assert capsys.readouterr().err.splitlines()[0] == (
        "content/casestudies/01-friends-of-parks.md:4: the summary is not whole sentences from the text: “We met the "
        "Friends.” is not one of its sentences; copy whole sentences from the text, or if the summary is the editors' "
        "own words, add `summary_by: \"editors\"` so that the page says so")
    marked = cut.replace('summary: "We met the Friends."', 'summary: "We met the Friends."\nsummary_by: "editors"')
    write_content(tmp_path, {"casestudies/01-friends-of-parks.md": marked})
    assert main(["check", "--strict"]) == 0
    out = tmp_path / "site"
    pipeline.build(pipeline.Paths(tmp_path / "content", out), Options(search=False))
    assert "This summary is the portal editors' own words, not the case study's." in text_of(
        out / "casestudies" / "01-friends-of-parks" / "index.html")


def test_the_editors_words_are_labelled_as_theirs(built: tuple[Path, Site]) -> None:
    out, site = built
    for area in site.areas:
        assert "is the portal editors' summary of the framework, not words from the source documents" in text_of(
            out / area.url / "index.html")
    for group in site.groups:
        assert "the portal's editors chose which evidence concerns each group" in text_of(out / group.url / "index.html")
    tagged = next(s for s in site.casestudies if s.groups)
    assert "Equality groups (chosen by the portal's editors)" in text_of(out / tagged.url / "index.html")
    for document in site.documents:
        assert "About this document Written by the portal's editors." in text_of(out / document.url / "index.html")
