"""`python build.py import FILE.docx` (portal/importer/): a Word report of case studies becomes case study files that
pass `check`, keeping every word and figure, and whatever cannot be placed is reported where it is."""
from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import docx
import pytest
import yaml

from portal import cli, markup
from portal.importer import relevance
from tests import docxfactory, sitefactory
from tests.conftest import PROJECT
from tests.docxfactory import Study
from tests.test_faithful import HEADING_WORDS, source_case_studies, words

SAVE_AS = "open it in Word and save it as a Word Document (.docx), then import that"


def run(args: list[str | Path], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run build.py; return its exit status, what it printed and what it printed as errors."""
    status = cli.main([str(arg) for arg in args])
    printed = capsys.readouterr()
    return status, printed.out, printed.err


def small_site(tmp_path: Path, changes: dict[str, str | bytes | None] | None = None) -> Path:
    """The test site with no case studies."""
    return sitefactory.write_content(tmp_path, {"casestudies/01-friends-of-parks.md": None,
                                                "casestudies/02-mystery-shopper.md": None, **(changes or {})})


def studies_in(content: Path) -> dict[int, str]:
    """The text of each case study file, by the number its name starts with."""
    return {int(path.name.split("-")[0]): path.read_text(encoding="utf-8")
            for path in (content / "casestudies").glob("*.md")}


def findings(printed: str) -> list[str]:
    """The findings `check` printed, each as its file's name, line and message."""
    return [f"{Path(path).name}:{rest}" for path, rest in re.findall(r"^(\S+\.md):(.*)$", printed, re.MULTILINE)]


def front(text: str) -> dict:
    return yaml.safe_load(text.split("\n---\n", 1)[0].removeprefix("---\n"))


def body(text: str) -> str:
    return text.split("\n---\n", 1)[1]


def section(text: str, heading: str) -> str:
    """The Markdown under one of a case study's `##` headings."""
    return body(text).split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]


def import_(tmp_path: Path, content: Path, studies: list[Study], capsys: pytest.CaptureFixture[str], *extra: str,
            **shape: object) -> tuple[int, str, str]:
    document = docxfactory.build(tmp_path / "parks.docx", studies, **shape)  # type: ignore[arg-type]
    return run(["import", document, "--content", content, "--source", "test-report", *extra], capsys)


def test_the_havering_document_imports_as_the_published_case_studies(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    content = tmp_path / "content"
    shutil.copytree(PROJECT / "content", content)
    for path in (content / "casestudies").glob("*.md"):
        path.unlink()
    document = docxfactory.havering(tmp_path / "havering-equality-case-studies.docx")
    status, printed, errors = run(["import", document, "--content", content, "--source",
                                   "havering-equality-case-studies"], capsys)
    assert (status, errors) == (0, ""), errors
    assert "24 case studies from havering-equality-case-studies.docx imported into" in printed
    imported = studies_in(content)
    assert sorted(imported) == list(range(1, 25))  # the cover, summary list and matrix are not case studies
    published = {number: front(text) for number, text in studies_in(PROJECT / "content").items()}
    for number, text in imported.items():
        meta = front(text)
        assert meta["actions"] == published[number]["actions"], f"case study {number}"
        assert (meta["organisation"], meta["source"]) == ("havering", "havering-equality-case-studies")
        source, page = words(source_case_studies()[number]), words(markup.render(body(text)).html)
        assert source - page == Counter(), f"case study {number} lost words or figures"
        added = page - source - HEADING_WORDS
        assert sum(added.values()) <= 12, f"case study {number} added words: {dict(added)}"
    assert not re.search(r"(?<!\\)\*", body(imported[2]))  # all italic in the document: its style, not emphasis
    assert run(["check", "--content", content], capsys)[0] == 0
    strict = findings(run(["check", "--strict", "--content", content], capsys)[2])
    assert any(line.startswith("12-") and "mentions case study 32, which does not exist" in line for line in strict)
    for wrong in ("summary", "HTML", "heading", "table", "link"):  # nothing the import itself could have got wrong
        assert not [line for line in strict if wrong in line], wrong


@pytest.mark.parametrize("text, actions", [
    ("2.1, 2.4, 2.5, 2.13, 2.14, 2.15., 2.16,", ["2.1", "2.4", "2.5", "2.13", "2.14", "2.15", "2.16"]),
    ("All performance measures from 2.1 to 2.23", [f"2.{n}" for n in range(1, 24)]),
    ("2.1. 2.2, 2.3 2.13 to 2.23", ["2.1", "2.2", "2.3"] + [f"2.{n}" for n in range(13, 24)]),
    ("2.23. 2.32", ["2.23", "2.32"]),
    ("2.9, 2.7, 2.7", ["2.7", "2.9"]),
])
def test_a_relevance_cell_names_its_actions_however_written(text: str, actions: list[str]) -> None:
    known = tuple(f"2.{n}" for n in range(1, 33))
    assert relevance.read(text, known) == relevance.Relevance(tuple(actions), (), ())


def test_a_relevance_cell_gives_back_what_is_not_an_action() -> None:
    found = relevance.read("2.1 to 2.5 except 2.3, and 2.33", ("2.1", "2.2", "2.3", "2.4", "2.5"))
    assert found == relevance.Relevance(("2.1", "2.2", "2.3", "2.4", "2.5"), ("2.33",), ("except",))


CONTINUED = ("<p>We wrote to every group to ask what they need from their parks.</p>",  # words of the header row,
             "<p>Groups asked why the council had not written to them before.</p>",  # but not a header row
             "<p>The difference: twenty groups met by 2011.</p>", "<p>Also relevant: 2.3</p>")
SHAPES = {
    "Heading styles": {},
    "bold headings": {"heading": "bold"},
    "plain numbered paragraphs": {"heading": "plain"},
    "headings numbered by Word": {"heading": "auto"},
    "another column order": {"order": (3, 2, 0, 1)},
    "a case study over two tables": {"split": True},
    "over two tables, the header repeated": {"split": True, "repeat_header": True, "order": (1, 0, 3, 2)},
    "the header row repeated in the table": {"repeat_header": True},
}


@pytest.mark.parametrize("shape", SHAPES)
def test_documents_of_other_shapes(shape: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = small_site(tmp_path)
    studies = [Study(1, "Friends of Parks", more=CONTINUED),
               Study(2, "The Mystery Shopper", what="<p>We phoned every service as residents.</p>",
                     relevance="<p>2.2</p>")]
    status, _, errors = import_(tmp_path, content, studies, capsys, **SHAPES[shape])
    assert (status, errors) == (0, "")
    imported = studies_in(content)
    assert sorted(imported) == [1, 2] and front(imported[1])["title"] == "Friends of Parks"
    assert [front(imported[n])["actions"] for n in (1, 2)] == [["2.1", "2.2", "2.3"], ["2.2"]]
    assert section(imported[1], "What we did") == ("\nWe met the Friends groups of every park.\n\nWe wrote to every "
                                                   "group to ask what they need from their parks.\n")
    assert section(imported[1], "Why we did it") == ("\nThe groups asked to be heard.\n\nGroups asked why the council "
                                                     "had not written to them before.\n")
    assert section(imported[1], "The difference it made") == ("\nTwelve groups now meet the council each quarter.\n\n"
                                                              "The difference: twenty groups met by 2011.\n")
    assert "We phoned every service as residents." in section(imported[2], "What we did")
    assert (content / "casestudies" / "01-friends-of-parks.md").is_file()
    assert run(["check", "--content", content], capsys)[0] == 0


def test_what_cannot_be_placed_is_reported_where_it_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def budget(document: docx.document.Document) -> None:
        document.add_paragraph("3. Budget", style="Heading 2")
        table = document.add_table(rows=2, cols=2)
        for cell, text in zip(table.rows[0].cells + table.rows[1].cells, ("Item", "Cost", "Trees", "£400")):
            cell.text = text
    content = small_site(tmp_path)
    studies = [Study(1, "Friends of Parks", relevance="<p>See the summary matrix at the front of this report, "
                                                      "which lists them all</p>"),
               Study(2, "The Mystery Shopper", what=docxfactory.image, relevance="<p>2.2, 2.33</p>")]
    document = docxfactory.build(tmp_path / "parks.docx", studies, after=budget)
    status, printed, errors = run(["import", document, "--content", content, "--source", "test-report"], capsys)
    assert status == 1
    assert errors.split("\n") == [
        "parks.docx: case study 3 (“Budget”): its table has the columns “Item”, “Cost” rather than What We Did, Why "
        "we did it, The Difference it Made, Relevance: the case study was not imported; give the table those four "
        "columns, or copy its text by hand",
        "parks.docx: case study 1 (“Friends of Parks”), Relevance: “See the summary matrix at the front of…” names "
        "no action this portal knows: the case study was written with `actions: []`; add the ids of the actions it "
        "evidences (the actions are 2.1 to 2.3, see content/actions/)",
        "parks.docx: case study 2 (“The Mystery Shopper”), What We Did: an image was left out: add it to the case "
        "study by hand with a description of what it shows if it is needed",
        "parks.docx: case study 2 (“The Mystery Shopper”), Relevance: action 2.33 does not exist, so it was left out "
        "(the actions are 2.1 to 2.3, see content/actions/)",
        "4 things in parks.docx could not be imported as they are: an editor should see to each (listed above).", ""]
    assert "2 case studies from parks.docx imported into" in printed
    imported = studies_in(content)
    assert sorted(imported) == [1, 2]
    assert [front(imported[n])["actions"] for n in (1, 2)] == [[], ["2.2"]]
    assert "We planted trees with the Friends groups." in imported[2]
    assert run(["check", "--content", content], capsys)[0] == 0
    strict = findings(run(["check", "--strict", "--content", content], capsys)[2])
    assert "01-friends-of-parks.md:14: the case study lists no actions: add the ids of the actions it evidences, " \
           "such as `actions: [\"2.13\", \"2.21\"]`" in strict


def test_text_before_the_first_case_study_is_not_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def front_pages(document: docx.document.Document) -> None:
        document.add_paragraph("Parks report", style="Title")
        document.add_paragraph("1. Introduction", style="Heading 1")
        document.add_paragraph("This report gives our case studies.")
        document.add_paragraph("2. Summary matrix", style="Heading 1")
        matrix = document.add_table(rows=2, cols=3)
        for cell, text in zip(matrix.rows[0].cells + matrix.rows[1].cells, ("Actions", "", "Relevant Case Studies",
                                                                            "2.1", "Communities are consulted.", "1")):
            cell.text = text
        for line in ("1 Friends of Parks", "2 The Mystery Shopper"):
            document.add_paragraph().add_run(line).bold = True
    content = small_site(tmp_path)
    document = docxfactory.build(tmp_path / "parks.docx", [Study(1, "Friends of Parks"),
                                                           Study(2, "The Mystery Shopper")], before=front_pages)
    status, _, errors = run(["import", document, "--content", content, "--source", "test-report"], capsys)
    assert (status, errors) == (0, "")
    assert [front(text)["title"] for _, text in sorted(studies_in(content).items())] == ["Friends of Parks",
                                                                                        "The Mystery Shopper"]


def test_text_outside_the_tables_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def cover(document: docx.document.Document) -> None:
        document.add_paragraph("Parks report", style="Title")
        docxfactory.case_table(document, (0, 1, 2, 3))  # a case study table with no heading before it
    content = small_site(tmp_path)
    study = Study(1, "Friends of Parks")

    def contact(document: docx.document.Document) -> None:
        document.add_paragraph("Contact the parks team for the full figures.")
        table = document.add_table(rows=1, cols=2)
        table.cell(0, 0).text, table.cell(0, 1).text = "Item", "Cost"
    document = docxfactory.build(tmp_path / "parks.docx", [study], before=cover, after=contact)
    status, _, errors = run(["import", document, "--content", content, "--source", "test-report"], capsys)
    assert status == 1
    assert "parks.docx: the case study table after “Parks report”: it has no numbered heading before it, so it was " \
           "not imported" in errors
    assert "parks.docx: case study 1 (“Friends of Parks”): the text “Contact the parks team for the full fig…” is " \
           "outside its table and was not imported" in errors
    assert "parks.docx: case study 1 (“Friends of Parks”): a table after its table has the columns “Item”, “Cost” " \
           "rather than What We Did, Why we did it, The Difference it Made, Relevance: that table was not imported" \
           in errors
    assert sorted(studies_in(content)) == [1]


def test_formatting_lists_tables_and_links_are_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def results(writer: docxfactory.CellWriter) -> None:
        writer.new().add_run("Results").underline = True
        docxfactory.nested_table(writer, [("Year", "Groups"), ("2010", "12"), ("2011", "20")])
        docxfactory.link(writer, "https://example.org/parks", "the parks report")
        docxfactory.link(writer, "javascript:alert(1)", "the old report")
    content = small_site(tmp_path)
    studies = [Study(1, "Friends of Parks", what="<p>We met <i>every</i> group and <b>all</b> of them.</p>"
                     "<ul>• Parks • Open spaces</ul><p><u>Allotments</u></p><p>Two sites.</p>", difference=results)]
    status, _, errors = import_(tmp_path, content, studies, capsys)
    assert status == 1 and "the link to “javascript:alert(1)” (the portal allows only https:, http: and mailto: " \
                            "links; its words are kept) was left out" in errors
    text = studies_in(content)[1]
    assert section(text, "What we did") == ("\nWe met *every* group and **all** of them.\n\n- Parks\n- Open spaces\n\n"
                                            "### Allotments\n\nTwo sites.\n")
    assert section(text, "The difference it made") == (
        "\n### Results\n\nThe results were as follows.\n\n| Year | Groups |\n| --- | --- |\n| 2010 | 12 |\n"
        "| 2011 | 20 |\n\nRead [the parks report](https://example.org/parks).\n\nRead the old report.\n")
    assert run(["check", "--content", content], capsys)[0] == 0
    strict = " ".join(findings(run(["check", "--strict", "--content", content], capsys)[2]))
    assert "table" not in strict and "heading" not in strict and "summary" not in strict


def test_text_that_would_be_markdown_or_html_stays_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    typed = ["<b>Bold</b> and <script>alert(1)</script> &amp; E&M", "# Not a heading", "1. Not a list", "- Not a list",
             "[Not a link](javascript:alert(1)) with 5+ A* - C_grades | and `code`"]

    def cell(writer: docxfactory.CellWriter) -> None:
        for line in typed:
            writer.new().add_run(line)
    content = small_site(tmp_path)
    status, _, errors = import_(tmp_path, content, [Study(1, "Friends of <b>Parks</b>", what=cell)], capsys)
    assert (status, errors) == (0, "")
    text = studies_in(content)[1]
    assert front(text)["title"] == "Friends of <b>Parks</b>"
    html = markup.render(section(text, "What we did")).html
    assert html == "\n".join(f"<p>{line}</p>" for line in (
        "&lt;b&gt;Bold&lt;/b&gt; and &lt;script&gt;alert(1)&lt;/script&gt; &amp;amp; E&amp;M", "# Not a heading",
        "1. Not a list", "- Not a list", "[Not a link](javascript:alert(1)) with 5+ A* - C_grades | and `code`"))
    assert run(["check", "--content", content], capsys)[0] == 0
    strict = " ".join(findings(run(["check", "--strict", "--content", content], capsys)[2]))
    assert "HTML" not in strict and "link" not in strict and "heading" not in strict


def test_a_new_source_document_file_is_written_for_the_document(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    content = small_site(tmp_path, {"organisations/other.md": sitefactory.organisation(
        "Other Council", "Other", "https://other.example.gov.uk/")})
    study = Study(1, "Friends of Parks", difference="<p>In 2009 twelve groups met; by 2011 there were twenty.</p>")
    document = docxfactory.build(tmp_path / "Parks_report.docx", [study])
    status, _, errors = run(["import", document, "--content", content], capsys)
    assert status == 2 and errors == ("error: whose evidence is this? pass --organisation with one of: other (Other "
                                      "Council), test-council (Test Council)\n")
    status, printed, errors = run(["import", document, "--content", content, "--organisation", "TEST council"], capsys)
    assert (status, errors) == (0, "")
    assert f"A new source document file, {content}/sources/parks-report.md, was written for it: an editor should " \
           "check its title, publisher and period." in printed
    source = (content / "sources" / "parks-report.md").read_text(encoding="utf-8")
    assert front(source) == {"title": "Parks report", "publisher": "test-council", "period": "2009 to 2011"}
    assert "# Written by `python build.py import` from Parks_report.docx: check the title" in source
    assert front(studies_in(content)[1])["source"] == "parks-report"
    assert front(studies_in(content)[1])["organisation"] == "test-council"
    more = docxfactory.build(tmp_path / "more.docx", [Study(2, "The Mystery Shopper")])
    assert run(["import", more, "--content", content, "--source", "test-report"], capsys)[0] == 0
    assert front(studies_in(content)[2])["organisation"] == "test-council"  # the source document's publisher
    assert run(["check", "--content", content], capsys)[0] == 0


@pytest.mark.parametrize("args, message", [
    (["--organisation", "Havering"], "error: unknown organisation “Havering” (known: test-council (Test Council), see "
                                     "content/organisations/): pass one of them by its id or name\n"),
    (["--source", "parks-2010"], "error: unknown source document “parks-2010” (known: test-report, see "
                                 "content/sources/): pass one of them, or leave out --source to write a new one for "
                                 "this document\n"),
])
def test_an_unknown_organisation_or_source_is_refused(args: list[str], message: str, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    content = small_site(tmp_path)
    document = docxfactory.build(tmp_path / "parks.docx", [Study(1, "Friends of Parks")])
    assert run(["import", document, "--content", content, *args], capsys) == (2, "", message)
    assert not (content / "casestudies").exists()


def test_it_never_overwrites_without_force_and_a_dry_run_writes_nothing(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    content = small_site(tmp_path)
    studies = [Study(1, "Friends of Parks")]
    status, printed, _ = import_(tmp_path, content, studies, capsys, "--dry-run")
    assert status == 0 and "--- casestudies/01-friends-of-parks.md (would be written) ---\n---\n" in printed
    assert 'title: "Friends of Parks"' in printed and "Dry run: nothing was written." in printed
    assert not (content / "casestudies").exists()
    assert import_(tmp_path, content, studies, capsys)[0] == 0
    target = content / "casestudies" / "01-friends-of-parks.md"
    target.write_text(target.read_text(encoding="utf-8") + "\nAn editor's change.\n", encoding="utf-8")
    status, _, errors = import_(tmp_path, content, studies, capsys)
    assert status == 2
    assert errors == f"error: {target} already exists: pass --force to replace it\nNothing was written.\n"
    assert "An editor's change." in target.read_text(encoding="utf-8")
    assert import_(tmp_path, content, studies, capsys, "--force")[0] == 0
    assert "An editor's change." not in target.read_text(encoding="utf-8")


def test_a_number_another_file_has_is_refused_not_renumbered(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    content = sitefactory.write_content(tmp_path)  # case studies 1 and 2
    status, _, errors = import_(tmp_path, content, [Study(2, "Park Friends"), Study(3, "Friends of Parks")], capsys)
    assert (status, errors) == (2, f"error: case study 2 would be written to 02-park-friends.md, but "
                                   f"{content}/casestudies/02-mystery-shopper.md has the number 2 already: renumber "
                                   "or remove that file, or change the number in the document\nNothing was written.\n")
    assert sorted(studies_in(content)) == [1, 2]
    assert import_(tmp_path, content, [Study(3, "Friends of Parks")], capsys)[0] == 0
    assert (content / "casestudies" / "03-friends-of-parks-3.md").is_file()  # 01-friends-of-parks has its name
    assert run(["check", "--content", content], capsys)[0] == 0


def test_it_never_writes_through_a_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = small_site(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (content / "casestudies").symlink_to(elsewhere)
    status, _, errors = import_(tmp_path, content, [Study(1, "Friends of Parks")], capsys)
    assert status == 2 and "is a link or a file, not a folder" in errors
    assert list(elsewhere.iterdir()) == []


def test_the_guide_shows_what_the_import_really_prints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    guide = (PROJECT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    content = tmp_path / "content"
    shutil.copytree(PROJECT / "content", content)
    for path in (content / "casestudies").glob("*.md"):
        path.unlink()
    document = docxfactory.build(tmp_path / "case-studies.docx", [Study(7, "Offender Services",
                                                                        relevance="<p>2.7, 2.18, 2.21, 2.33</p>")])
    os.chdir(tmp_path)
    status, _, errors = run(["import", "case-studies.docx", "--source", "havering-equality-case-studies"], capsys)
    assert status == 1 and errors.split("\n")[0] in guide


def docx_bytes(tmp_path: Path) -> bytes:
    return docxfactory.build(tmp_path / "real.docx", [Study(1, "Friends of Parks")]).read_bytes()


def zipped(entries: dict[str, bytes]) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, value in entries.items():
            archive.writestr(name, value)
    return data.getvalue()


def bomb(path: Path) -> None:
    """A small zip whose document unpacks to 101 MB."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        with archive.open("word/document.xml", "w") as entry:
            for _ in range(101):
                entry.write(bytes(1 << 20))


def no_case_studies(path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Our equality objectives for 2012.")
    document.save(path)


BAD = {
    "not a Word document": (b"Minutes of the meeting\n", f"is not a Word document (.docx): {SAVE_AS}"),
    "empty": (b"", "is empty (0 bytes): pass the Word document itself"),
    "password-protected": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)
                           + "EncryptedPackage".encode("utf-16-le") + bytes(500),
                           "is protected with a password: in Word, remove the password (File, Info, Protect "
                           "Document) and save it, then import it again"),
    "an old .doc": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000),
                    f"is an old Word 97-2003 document (.doc) or another older file: {SAVE_AS}"),
    "a PDF": (b"%PDF-1.4\n%...", f"is a PDF, not a Word document: {SAVE_AS}, and check its text against the PDF"),
    "cut short": (lambda path: path.write_bytes(docx_bytes(path.parent)[:3000]),
                  f"could not be read (it may be damaged or incomplete): {SAVE_AS}"),
    "damaged inside": (zipped({"[Content_Types].xml": b"<Types", "word/document.xml": b"<w:document"}),
                       f"could not be read (it may be damaged): {SAVE_AS}"),
    "a spreadsheet": (zipped({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}),
                      "is an Excel workbook, not a Word document (.docx): import the Word document instead"),
    "a zip bomb": (bomb, "would unpack to more than 100 MB or 10,000 parts, far more than a Word document needs: it "
                         "is not imported"),
    "too big": (lambda path: os.truncate(path, 21 * 2**20),
                "is 21 MB, more than the 20 MB the importer reads: remove the photographs from a copy of it and "
                "import that"),
    "no case study in it": (no_case_studies, "no case studies were found in bad.docx: each must be a numbered "
                            "heading, such as “7. Offender Services”, followed by a table whose first row is What We "
                            "Did, Why we did it, The Difference it Made, Relevance"),
}


@pytest.mark.parametrize("kind", BAD)
def test_a_bad_file_gets_one_sentence_and_exit_1(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    content = small_site(tmp_path)
    path = tmp_path / "bad.docx"
    made, message = BAD[kind]
    path.write_bytes(made if isinstance(made, bytes) else b"")
    if callable(made):
        made(path)
    status, printed, errors = run(["import", path, "--content", content, "--source", "test-report"], capsys)
    expected = message if kind == "no case study in it" else f"bad.docx {message}"
    assert (status, printed, errors) == (1, "", f"error: {expected}\n")
    assert not (content / "casestudies").exists()
