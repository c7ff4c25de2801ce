"""The real content, built once: pages, cross-links, gaps, open data and links that resolve."""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from portal.model import Site
from tests.conftest import PROJECT
from tests.htmltools import broken_links, section, text_of

CONTENT = PROJECT / "content"
GAPS = {"2.26", "2.27", "2.28", "2.31"}


def front_matter(path: Path) -> dict:
    """A content file's front matter, read independently of the portal's own loader."""
    return yaml.safe_load(path.read_text(encoding="utf-8").split("\n---\n", 1)[0].removeprefix("---\n"))


def tags() -> dict[int, tuple[Path, dict]]:
    """Each case study's number, file and front matter."""
    found = {}
    for path in sorted((CONTENT / "casestudies").glob("*.md")):
        meta = front_matter(path)
        found[meta["number"]] = (path, meta)
    return found


def linked_studies(html: str, heading: str) -> set[str]:
    return set(re.findall(r'href="\.\./\.\./casestudies/([^/"]+)/"', section(html, heading)))


def test_twenty_four_case_studies_each_with_its_actions(built: tuple[Path, Site]) -> None:
    out, _site = built
    studies = tags()
    assert sorted(studies) == list(range(1, 25))
    for number, (path, meta) in studies.items():
        page = out / "casestudies" / path.stem / "index.html"
        html = page.read_text(encoding="utf-8")
        assert f"<h1>{meta['title']}</h1>" in html.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
        evidenced = section(html, "Actions this case study evidences")
        found = re.findall(r'href="\.\./\.\./actions/([0-9-]+)/">Action ([0-9.]+)</a>', evidenced)
        assert sorted(a for _slug, a in found) == sorted(meta["actions"]), path.name
        assert f"Case study {number}" in text_of(page)


def test_every_action_page_lists_exactly_its_case_studies(built: tuple[Path, Site]) -> None:
    out, _site = built
    studies = tags()
    for action_file in sorted((CONTENT / "actions").glob("*.md")):
        action_id = front_matter(action_file)["id"]
        expected = {path.stem for path, meta in studies.values() if action_id in meta["actions"]}
        html = (out / "actions" / action_file.stem / "index.html").read_text(encoding="utf-8")
        assert linked_studies(html, "Case studies that evidence this action") == expected, action_id


def test_gap_actions_say_so_and_others_do_not(built: tuple[Path, Site]) -> None:
    out, site = built
    assert {a.id for a in site.gaps()} == GAPS
    for action in site.actions:
        text = text_of(out / action.url / "index.html")
        said = "No case study shows evidence for this action yet." in text and "Evidence gap" in text
        assert said == (action.id in GAPS), action.id
    map_text = text_of(out / "evidence-map" / "index.html")
    assert "4 of 32 actions have no evidence yet." in map_text


def test_evidence_map_agrees_with_the_tags(built: tuple[Path, Site]) -> None:
    out, _site = built
    html = (out / "evidence-map" / "index.html").read_text(encoding="utf-8")
    html = html[:html.index("</table>")]  # the map, not the table of the source's disagreements after it
    studies = tags()
    rows = re.findall(r'<tr[^>]*>\s*<th scope="row"><a href="\.\./actions/[0-9-]+/">([0-9.]+)</a></th>(.*?)</tr>',
                      html, re.S)
    assert len(rows) == 32
    for action_id, cells in rows:
        marks = re.findall(r'<td class="evidence-map__cell">(.*?)</td>', cells)
        ticked = {n for n, cell in zip(sorted(studies), marks) if "✓" in cell}
        assert ticked == {n for n, (_p, meta) in studies.items() if action_id in meta["actions"]}, action_id


def test_area_pages_list_actions_and_studies(built: tuple[Path, Site]) -> None:
    out, site = built
    for area in site.areas:
        html = (out / area.url / "index.html").read_text(encoding="utf-8")
        ids = re.findall(r'<th scope="row"><a href="\.\./\.\./actions/[0-9-]+/">([0-9.]+)</a></th>', html)
        assert ids == [a.id for a in site.actions_by_area[area.slug]]
        expected = {s.slug for s in site.casestudies if set(s.actions) & set(ids)}
        assert linked_studies(html, "Case studies that evidence this area") == expected


def test_related_and_previous_next(built: tuple[Path, Site]) -> None:
    out, _site = built
    html = (out / "casestudies" / "07-offender-services" / "index.html").read_text(encoding="utf-8")
    related = section(html, "Related case studies").split("</ul>")[0]
    # 8 shares all three of 7's actions (2.7, 2.18, 2.21); 16 and 18 share all three too.
    assert re.findall(r'casestudies/([^/"]+)/', related) == ["08-learning-disabilities", "16-harold-hill-ambitions",
                                                             "18-older-peoples-volunteering"]
    assert 'rel="prev"' in html and "06-anti-bullying-strategy" in html.split('rel="prev"')[0].rsplit("<a", 1)[1]
    assert 'href="../../casestudies/08-learning-disabilities/" rel="next"' in html


def test_every_internal_link_resolves(built: tuple[Path, Site]) -> None:
    out, _site = built
    assert len(list(out.rglob("*.html"))) > 80
    assert broken_links(out) == []


def test_open_data_matches_the_model(built: tuple[Path, Site]) -> None:
    out, _site = built
    studies = json.loads((out / "data" / "casestudies.json").read_text(encoding="utf-8"))
    actions = json.loads((out / "data" / "actions.json").read_text(encoding="utf-8"))
    assert [s["number"] for s in studies] == list(range(1, 25))
    assert {"number", "title", "summary", "url", "actions", "areas"} <= set(studies[0])
    assert {"id", "statement", "area", "url", "casestudies"} <= set(actions[0])
    assert len(actions) == 32
    for action in actions:
        assert action["casestudies"] == [s["number"] for s in studies if action["id"] in s["actions"]]
        assert (out / action["url"] / "index.html").is_file()
    for study in studies:
        assert (out / study["url"] / "index.html").is_file()
        assert not study["url"].startswith("/")


def test_search_index_and_filters_are_written(built: tuple[Path, Site]) -> None:
    out, _site = built
    assert (out / "pagefind" / "pagefind.js").is_file()
    html = (out / "casestudies" / "11-hate-crime-conference" / "index.html").read_text(encoding="utf-8")
    assert "data-pagefind-body" in html
    assert 'data-pagefind-filter="area:Leadership and partnership"' in html
    assert 'data-pagefind-filter="action:2.12"' in html


def test_nothing_loads_from_another_host(built: tuple[Path, Site]) -> None:
    out, _site = built
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for match in re.finditer(r'<(script|link|img|iframe|source)\b[^>]*(?:src|href)="([^"]+)"', html):
            assert not re.match(r"^(https?:)?//", match.group(2)), f"{page}: {match.group(0)}"
        assert "Content-Security-Policy" in html


def test_robots_sitemap_and_404(built: tuple[Path, Site]) -> None:
    out, site = built
    sitemap = (out / "sitemap.xml").read_text(encoding="utf-8")
    assert sitemap.count("<loc>") == len(list(out.rglob("index.html")))
    # robots.txt may only name the sitemap by its full URL, which a build without --base-url does not know.
    assert (out / "robots.txt").read_text(encoding="utf-8") == "User-agent: *\nAllow: /\n"
    assert 'href="/search/"' in (out / "404.html").read_text(encoding="utf-8")


def test_the_same_content_gives_a_byte_identical_site(built: tuple[Path, Site], tmp_path: Path) -> None:
    from portal import pipeline
    from portal.render import Options

    first, _site = built
    second = tmp_path / "again"
    pipeline.build(pipeline.Paths(CONTENT, second), Options())

    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    a, b = files(first), files(second)
    assert sorted(a) == sorted(b)
    assert [name for name in a if a[name] != b[name]] == []


def test_the_evidence_map_lists_where_the_source_disagrees_with_its_case_studies(built: tuple[Path, Site]) -> None:
    out, site = built
    html = (out / "evidence-map" / "index.html").read_text(encoding="utf-8")
    listed = section(html, "Where “The Case Studies” disagrees with its own case studies")
    rows = {action: (re.findall(r"Case study (\d+)", summary_only), re.findall(r"Case study (\d+)", case_only))
            for action, summary_only, case_only in re.findall(
                r'<th scope="row"><a href="[^"]+">([0-9.]+)</a></th>\s*<td>(.*?)</td>\s*<td>(.*?)</td>', listed, re.S)}
    assert rows == {  # as docs/matrix-disagreements.md has them, worked out by hand from the source document
        "2.6": (["10"], []), "2.7": ([], ["10", "16", "17", "18"]), "2.9": ([], ["16"]), "2.10": (["19"], []),
        "2.13": ([], ["1"]), "2.18": (["3"], []), "2.20": (["19", "22"], ["18", "21"]), "2.22": (["19"], []),
    }
    assert "for 8 actions it disagrees with what the case studies themselves say they evidence. This map follows the " \
           "case studies." in " ".join(re.sub(r"<[^>]+>", " ", listed).split())
