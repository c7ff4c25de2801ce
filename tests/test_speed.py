"""What makes builds fast never changes what they produce: the quick Markdown pass, the related-studies index,
parallel rendering, the Markdown cache, skipped builds and the dev server's pages rendered on request."""
from __future__ import annotations

import gzip
import json
import random
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from portal import cli, load, markup, output, pages, pipeline, render, search, serve, source
from portal.model import CaseStudy, Site
from portal.render import Options
from tests.conftest import PROJECT
from tests.sitefactory import action, casestudy, write_content



def _brute_force(site: Site, study: CaseStudy) -> list[int]:
    others = [o for o in site.casestudies if o is not study and set(o.actions) & set(study.actions)]
    others.sort(key=lambda o: (-len(set(o.actions) & set(study.actions)), o.number))
    return [o.number for o in others[:3]]


@pytest.mark.parametrize(("studies", "most"), [(250, 6), (40, 3)])  # dense: found at the top; sparse: found lower
def test_related_studies_are_exact_with_and_without_the_index(tmp_path: Path, studies: int, most: int) -> None:
    rng = random.Random(7)
    ids = ["2.1", "2.2", "2.3", "2.4", "2.5", "2.6", "2.7"]
    changes = {f"casestudies/{n:03d}-study-{n}.md":
               casestudy(n, f"Study {n}", str(rng.sample(ids, rng.randint(1, most))).replace("'", '"'))
               for n in rng.sample(range(1, 400), studies)}
    changes |= {f"actions/2-{i}.md": action(f"2.{i}") for i in range(4, 8)}
    changes |= {"casestudies/01-friends-of-parks.md": None, "casestudies/02-mystery-shopper.md": None}
    site = load.load(source.read_tree(write_content(tmp_path, changes)))
    expected = {s.number: _brute_force(site, s) for s in site.casestudies}
    assert {s.number: [o.number for o in site.related(s)] for s in site.casestudies} == expected
    indexed = load.load(source.read_tree(tmp_path / "content"))
    indexed.ranking.index_all()
    assert {s.number: [o.number for o in indexed.related(s)] for s in indexed.casestudies} == expected


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _site_files(folder: Path) -> dict[str, bytes]:
    """What a built site publishes: every file but the build's list of them, which the dev server does not serve."""
    return {path: data for path, data in _tree(folder).items() if path != output.MARKER}


def test_parallel_and_cached_builds_are_byte_identical_to_a_plain_one(tmp_path: Path, built: tuple[Path, Site],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    content = PROJECT / "content"
    plain = tmp_path / "plain"
    pipeline.build(pipeline.Paths(content, plain), Options(search=False))
    monkeypatch.setattr(load, "PARALLEL_FROM", 1)  # every core, even for 24 case studies
    monkeypatch.setattr(markup, "PARALLEL_FROM", 1)
    monkeypatch.setattr(render, "PARALLEL_FROM", 1)
    monkeypatch.setattr(output, "BATCH", 7)  # every page written in many batches
    pipeline.build(pipeline.Paths(content, tmp_path / "searched"), Options())  # search starts between the phases
    assert _tree(tmp_path / "searched") == _tree(built[0])
    cached = pipeline.Paths(content, tmp_path / "parallel", cache=tmp_path / "cache")
    pipeline.build(cached, Options(search=False))
    assert (tmp_path / "cache" / "markdown.marshal").is_file()
    assert _tree(tmp_path / "parallel") == _tree(plain)
    renders = []
    monkeypatch.setattr(markup, "render", lambda text: renders.append(text) or pytest.fail("rendered again"))
    pipeline.build(cached, Options(search=False))  # every body from the cache
    assert not renders
    assert _tree(tmp_path / "parallel") == _tree(plain)


def test_a_build_with_nothing_changed_is_skipped_and_anything_changed_rebuilds(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(PROJECT / "content", tmp_path / "content")
    args = ["build", "--content", str(tmp_path / "content"), "--out", str(tmp_path / "site"), "--no-search"]

    def build() -> str:
        assert cli.main(args) == 0
        return capsys.readouterr().out

    assert build().startswith("Built 24 case studies")
    assert (tmp_path / ".portal-cache").is_dir()
    first = _tree(tmp_path / "site")
    assert build().startswith("Nothing has changed since the last build")
    (tmp_path / "site" / "index.html").write_text("tampered", encoding="utf-8")
    assert build().startswith("Built 24 case studies")  # the output was touched: built again
    assert _tree(tmp_path / "site") == first
    (tmp_path / "site" / "casestudies" / "24-friends-of-parks" / "index.html").unlink()  # deep in the output
    assert build().startswith("Built 24 case studies")
    assert _tree(tmp_path / "site") == first
    study = tmp_path / "content" / "casestudies" / "24-friends-of-parks.md"
    study.write_text(study.read_text(encoding="utf-8").replace("Friends of Parks", "Friends of the Parks", 1),
                     encoding="utf-8")
    assert build().startswith("Built 24 case studies")
    assert "Friends of the Parks" in (tmp_path / "site" / "casestudies" / "24-friends-of-parks" / "index.html"
                                      ).read_text(encoding="utf-8")
    assert cli.main([*args, "--no-cache"]) == 0
    assert capsys.readouterr().out.startswith("Built 24 case studies")


def _served(dev: serve.DevSite, path: str) -> bytes:
    response = dev.respond("/" + path)
    assert response.status == 200, path
    return response.body


def test_dev_server_pages_after_edits_match_a_cold_build(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(PROJECT / "content", content)
    dev = serve.DevSite(pipeline.Paths(content.resolve(), tmp_path / "unused", cache=tmp_path / "cache"))
    assert dev.refresh()
    studies = content.resolve() / "casestudies"
    edited, removed = studies / "24-friends-of-parks.md", studies / "03-referral-unit-skiing-trip.md"
    added = studies / "25-a-new-study.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("Friends of Parks", "Friends of the Parks", 1)
                      .replace('"2.16"', '"2.27"'), encoding="utf-8")
    removed_text = removed.read_text(encoding="utf-8")
    removed.unlink()
    added.write_text(casestudy(25, "A New Study", '["2.27", "2.5"]').replace('"test-council"', '"havering"')
                     .replace('"test-report"', '"havering-equality-case-studies"'),
                     encoding="utf-8")
    assert dev.refresh({str(edited), str(removed), str(added)})
    cold = tmp_path / "cold"
    pipeline.build(pipeline.Paths(content, cold), Options(search=False, dev=True))
    expected = _site_files(cold)
    assert {path: _served(dev, path) for path in expected} == expected
    assert dev.respond("/casestudies/03-referral-unit-skiing-trip/").status == 404
    removed.write_text(removed_text.replace("number: 3", "number: three"), encoding="utf-8")
    assert not dev.refresh({str(removed)})  # a broken file: the last good pages stay, the problem is shown
    assert _served(dev, "casestudies/24-friends-of-parks/index.html") == expected["casestudies/24-friends-of-parks/index.html"]
    assert b"`number` must be a whole number" in _served(dev, serve.ERRORS_FILE)


def _page_count(bundle: Path) -> int:
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    return sum(language["page_count"] for language in entry["languages"].values())


def _fragments(bundle: Path) -> dict[str, dict]:
    """Each page a Pagefind index holds, by URL: what it indexed of the page."""
    fragments = [json.loads(gzip.decompress(path.read_bytes())[len(search.SIGNATURE):])
                 for path in (bundle / "fragment").glob("*.pf_fragment")]
    return {fragment["url"]: fragment for fragment in fragments}


def index(site_dir: Path, pages: list[str]) -> None:
    """Index `pages` of a written site the way the build does (search.Indexer, in parts): the pages are moved into
    each part's folder for Pagefind, and back into the site afterwards."""
    indexers: list[search.Indexer] = []
    try:
        for bundle, share in search.parts(pages).items():
            indexers.append(search.Indexer(site_dir, bundle))
            for page in share:
                (indexers[-1].pages / page).parent.mkdir(parents=True, exist_ok=True)
                (site_dir / page).rename(indexers[-1].pages / page)
            indexers[-1].start()
        for indexer in indexers:
            indexer.wait()
    finally:
        for indexer in indexers:
            indexer.stop()


def _write_pages(site: Path, names: list[str], body: str = "<p>Some words.</p>") -> None:
    for name in names:
        page = site / name
        page.parent.mkdir(parents=True)
        page.write_text(f'<html lang="en"><body><main data-pagefind-body>{body}</main></body></html>', encoding="utf-8")


def test_search_reads_only_the_indexed_pages(built: tuple[Path, Site], tmp_path: Path) -> None:
    out, site = built
    indexed = [spec.path for spec in pages.plan(site) if spec.indexed]
    assert "casestudies/01-school-improvement-strategy/index.html" in indexed
    assert not any("pack" in p or "404" in p or p == "casestudies/index.html" for p in indexed)
    copy = tmp_path / "site"
    shutil.copytree(out, copy, ignore=shutil.ignore_patterns("pagefind"))
    pack = copy / "areas" / "responsive-services" / "pack" / "index.html"
    pack.write_text(pack.read_text(encoding="utf-8").replace("<main ", "<main data-pagefind-body "), encoding="utf-8")
    index(copy, indexed)  # even a pack that asks to be indexed is never read
    assert _page_count(copy / "pagefind") == len(indexed) == _page_count(out / "pagefind")


def test_pages_shown_to_a_failing_search_indexer_are_kept(tmp_path: Path) -> None:
    _write_pages(tmp_path / "site", ["good/index.html"])
    (tmp_path / "site" / "bad").mkdir()
    (tmp_path / "site" / "bad" / "index.html").write_text("not a page", encoding="utf-8")  # Pagefind rejects it
    with pytest.raises(search.SearchIndexError, match="no <html> element"):
        index(tmp_path / "site", ["bad/index.html"])
    assert (tmp_path / "site" / "bad" / "index.html").read_text(encoding="utf-8") == "not a page"
    assert (tmp_path / "site" / "good" / "index.html").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


SLIMMED = [  # page, and what search is shown of it
    ('<p>a</p>\n<ul class="cards" data-pagefind-ignore>\n<li><ul><li>in</li></ul></li>\n</ul>\n<p>b</p>',
     "<p>a</p>\n\n<p>b</p>"),  # an element with others of its name inside it, all of it
    ('<p>a<img data-pagefind-ignore src="x.png" alt="">b</p>', "<p>ab</p>"),  # a void element: the tag alone
    ('<TABLE data-pagefind-ignore="all"><tr><td>x</td></tr></table>c', "c"),  # any case, with a value
    *[(page, page) for page in [  # kept whole
        '<div data-pagefind-ignore><span data-pagefind-filter="area:A"></span></div>',  # a filter inside
        '<div data-pagefind-ignore><img src="x.png" alt=""></div>',  # an image (the result's image)
        "<div data-pagefind-ignore><h1>Title</h1></div>",  # a first-level heading (the result's title)
        "<ul data-pagefind-ignore><li>no end",  # not well-formed
        '<p data-pagefind-ignored="1">a</p><p>data-pagefind-ignore</p>',  # not the attribute
    ]],
]


@pytest.mark.parametrize(("page", "shown"), SLIMMED)
def test_search_is_shown_a_page_without_what_it_ignores(page: str, shown: str) -> None:
    assert search.slim(page) == shown


def test_slim_copies_give_the_same_index_and_site(tmp_path: Path, built: tuple[Path, Site],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    out, site = built
    monkeypatch.setattr(search, "SLIM_FROM", 0)  # every page search reads
    monkeypatch.setattr(search, "SPLIT_FROM", 1)  # in two parts
    shown: list[str] = []
    show_slim = search.show_slim
    monkeypatch.setattr(search, "show_slim",
                        lambda pages, site_dir, page: shown.append(page) or show_slim(pages, site_dir, page))
    slimmed = tmp_path / "slimmed"
    pipeline.build(pipeline.Paths(PROJECT / "content", slimmed), Options())
    assert sorted(shown) == sorted(spec.path for spec in pages.plan(site) if spec.indexed)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slimmed"]  # the copies shown to search are gone
    full = tmp_path / "full"
    shutil.copytree(slimmed, full, ignore=shutil.ignore_patterns("pagefind"))
    index(full, [spec.path for spec in pages.plan(site) if spec.indexed])  # from the pages themselves
    assert _tree(slimmed) == _tree(full)
    ours = ("pagefind/", "search/", output.MARKER)  # the index in parts, and the list of files that names them
    assert {p: d for p, d in _tree(slimmed).items() if not p.startswith(ours)} == \
        {p: d for p, d in _tree(out).items() if not p.startswith(ours)}
    assert all(len(search.slim(data.decode())) < len(data) for path, data in _tree(full).items()
               if path.startswith(("areas/", "actions/", "evidence-map/")) and path.endswith(".html")
               and "/pack/" not in path)


def test_search_indexes_thousands_of_pages_in_one_part_and_gives_them_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "SPLIT_FROM", 10_000)  # all in one part
    names = [f"casestudies/{number:05d}-a-case-study-with-a-long-title-as-councils-write-them/index.html"
             for number in range(4500)]  # a Pagefind glob naming these fails to parse
    _write_pages(tmp_path / "site", names)
    index(tmp_path / "site", names)
    assert _page_count(tmp_path / "site" / "pagefind") == 4500
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]  # the folder of pages shown to Pagefind is gone
    assert all((tmp_path / "site" / name).is_file() for name in names)  # and its pages are back


def test_an_index_in_parts_holds_every_page_once_and_is_the_same_from_build_to_build(
        tmp_path: Path, built: tuple[Path, Site], monkeypatch: pytest.MonkeyPatch) -> None:
    _out, site = built
    monkeypatch.setattr(search, "SPLIT_FROM", 1)
    monkeypatch.setattr(render, "PARALLEL_FROM", 1)
    for name in ("first", "second"):
        pipeline.build(pipeline.Paths(PROJECT / "content", tmp_path / name), Options())
    assert _tree(tmp_path / "first") == _tree(tmp_path / "second")
    indexed = [spec.url for spec in pages.plan(site) if spec.indexed]
    parts = search.parts(indexed)
    assert list(parts) == ["pagefind/", "pagefind/part-2/"]
    urls = [url for bundle in parts for url in _fragments(tmp_path / "first" / bundle)]
    assert sorted(urls) == sorted("/" + url for url in indexed)
    assert [_page_count(tmp_path / "first" / bundle) for bundle in parts] == [len(share) for share in parts.values()]
    form = (tmp_path / "first" / "search" / "index.html").read_text(encoding="utf-8")
    assert 'data-index-parts="pagefind/part-2/"' in form


def test_the_part_of_the_index_that_starts_first_takes_more_pages() -> None:
    dealt = search.parts(list(range(4000)))
    assert [len(share) for share in dealt.values()] == [2200, 1800]  # search.SHARES: 11 and 9 of every 20
    assert sorted(page for share in dealt.values() for page in share) == list(range(4000))
    assert list(search.parts(list(range(999))).values()) == [list(range(999))]  # below SPLIT_FROM: one index


@pytest.mark.parametrize("split_from", [search.SPLIT_FROM, 1])  # one index; the index in parts
def test_each_part_of_the_index_starts_as_soon_as_its_pages_are_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, split_from: int) -> None:
    monkeypatch.setattr(search, "SPLIT_FROM", split_from)
    site = pipeline.check(pipeline.Paths(PROJECT / "content", tmp_path / "unused"))
    indexed = [spec.path for spec in pages.plan(site) if spec.indexed]
    expected = search.parts(indexed)
    assert len(expected) == (1 if split_from > len(indexed) else search.PARTS)
    assert sorted(p for share in expected.values() for p in share) == sorted(indexed)
    started: list[tuple[str, list[str], list[str]]] = []

    class Recorder(search.Indexer):  # stands in for Pagefind: notes its part, and the pages written when it started
        def start(self) -> None:
            folders = [self.site_dir, *self.site_dir.glob(".search-*")]  # the site's, and the parts' inside it
            written = {p.relative_to(folder).as_posix() for folder in folders for p in folder.rglob("*.html")
                       if folder != self.site_dir or not p.relative_to(folder).parts[0].startswith(".search-")}
            started.append((self.index_dir.relative_to(self.site_dir).as_posix() + "/",
                            sorted(p.relative_to(self.pages).as_posix() for p in self.pages.rglob("*.html")),
                            sorted(written)))

        def wait(self) -> None:
            self.stop()  # moves the pages into the site

    monkeypatch.setattr(search, "Indexer", Recorder)
    for parallel_from in (render.PARALLEL_FROM, 1):  # in one process, and across all cores
        monkeypatch.setattr(render, "PARALLEL_FROM", parallel_from)
        started.clear()
        pipeline.build(pipeline.Paths(PROJECT / "content", tmp_path / f"again{parallel_from}"), Options())
        assert [(bundle, pages) for bundle, pages, _written in started] == [(b, sorted(s)) for b, s in expected.items()]
        for number, (_bundle, _pages, written) in enumerate(started):  # its own pages and those before, no more
            assert written == sorted(p for share in list(expected.values())[:number + 1] for p in share)


def test_a_site_with_records_swapped_equals_one_built_afresh() -> None:
    content = PROJECT / "content"
    site = load.load(source.read_tree(content))
    retexted = {record: replace(record, **{name: f"<p>new {name}</p>" if name != "headings" else ()
                                          for name in record.TEXT})
                for record in [site.casestudies[3], site.areas[1], site.actions[5], site.groups[0], site.pages[0],
                               *site.progress[:1], site.organisations[0], site.documents[1]]}
    built = Site(site.settings, *(tuple(retexted.get(r, r) for r in records) for records in
                                  (site.areas, site.actions, site.casestudies, site.groups, site.pages, site.progress,
                                   site.organisations, site.documents)), site.synonyms)
    assert site.with_records(retexted) == built and site.with_records(retexted).indexes == built.indexes
    assert site.with_records(retexted).related(retexted[site.casestudies[3]]) == built.related(built.casestudies[3])


def test_dev_server_pages_after_text_only_edits_match_a_cold_build(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(PROJECT / "content", content)
    dev = serve.DevSite(pipeline.Paths(content.resolve(), tmp_path / "unused", cache=tmp_path / "cache"))
    assert dev.refresh()
    root = content.resolve()
    study = root / "casestudies" / "24-friends-of-parks.md"
    edits = {study: ("## What we did", "## What we did first"), root / "actions" / "2-5.md": ("\nEquality", "\nEdited: Equality"),
             root / "areas" / "modern-diverse-workforce.md": ("\nHow", "\nAdded. How")}
    for path, (old, new) in edits.items():
        head, fence, body = path.read_text(encoding="utf-8").partition("\n---\n")
        assert old in body, path
        path.write_text(head + fence + body.replace(old, new, 1), encoding="utf-8")
    assert dev.refresh({str(p) for p in edits})
    cold = tmp_path / "cold"
    pipeline.build(pipeline.Paths(content, cold), Options(search=False, dev=True))
    expected = _site_files(cold)
    assert {path: _served(dev, path) for path in expected} == expected
    assert b"Edited: " in _served(dev, "actions/2-5/index.html")

    good = study.read_text(encoding="utf-8")
    study.write_text(good + "\nSome <b>HTML</b>.\n", encoding="utf-8")  # text only, but refused
    assert not dev.refresh({str(study)})
    assert _served(dev, "casestudies/24-friends-of-parks/index.html") == expected["casestudies/24-friends-of-parks/index.html"]
    study.write_text(good, encoding="utf-8")
    assert dev.refresh({str(study)})
    assert {path: _served(dev, path) for path in expected} == expected


def test_search_indexes_what_a_page_says_not_its_links_to_other_pages(built: tuple[Path, Site]) -> None:
    out, site = built
    fragments = _fragments(out / "pagefind")
    study, following = site.casestudies[0], site.casestudies[1]
    content = fragments["/" + study.url]["content"]
    assert study.title in content and "What we did" in content
    related = site.related(study)[0]
    for left_out in (following.title, related.title, "How to cite", site.action_by_id[study.actions[0]].statement):
        assert left_out not in content, left_out
    area = site.areas[0]
    assert site.studies_by_area[area.slug][0].summary not in fragments["/" + area.url]["content"]  # lists of cards
    assert "/casestudies/" not in fragments and "/" not in fragments  # lists and the home page are not results
