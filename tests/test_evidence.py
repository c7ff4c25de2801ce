"""Progress reports, equality groups, open data, the feed, evidence packs and last-updated dates."""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from portal import pipeline
from portal.cli import main
from portal.model import Site
from portal.render import Options
from tests.conftest import PROJECT
from tests.htmltools import section, text_of
from tests.sitefactory import casestudy, write_content

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
        assert data["organisation"] == "London Borough of Harrow"
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
        assert f"<dt>Organisation</dt><dd>{item.organisation}</dd>" in html
        assert f'data-pagefind-filter="organisation:{item.organisation}"' in html
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
    for name in ["casestudies", "actions", "progress", "evidence-map"]:
        for kind in ("csv", "json"):
            assert f'href="../data/{name}.{kind}"' not in text  # links are in the HTML, not the text
        html = (out / "data" / "index.html").read_text(encoding="utf-8")
        assert f'href="{name}.csv"' in html.replace("../data/", "") or f"{name}.csv" in html
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
        text = text_of(out / study.url / "index.html")
        assert f"How to cite this case study {study.organisation}. “{study.title}”, case study {study.number}." in text
        assert study.updated and f"Last updated {study.updated}" in text


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
    report = ('---\ntitle: "Improve data"\nnumber: 1\nsummary: "We improved data."\norganisation: "Harrow"\n'
              'areas: ["knowing"]\n---\n\n## Achievements\n\n- Published a profile.\n')
    write_content(tmp_path, {"progress/01-improve-data.md": report})
    assert main(["check", "--content", "content"]) == 1
    assert ("content/progress/01-improve-data.md:6: unknown area 'knowing' (known: engagement, workforce, "
            "see content/areas/)") in capsys.readouterr().err.splitlines()


def test_progress_report_naming_an_unknown_group(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.chdir(tmp_path)
    report = ('---\ntitle: "Improve data"\nnumber: 1\nsummary: "We improved data."\norganisation: "Harrow"\n'
              'areas: ["engagement"]\ngroups: ["older people"]\n---\n\n## Achievements\n\n- Published a profile.\n')
    write_content(tmp_path, {"progress/01-improve-data.md": report})
    assert main(["check", "--content", "content"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert ("content/progress/01-improve-data.md:7: `groups` has 'older people', which is not written like "
            "[\"race\", \"sex\"]") in err
