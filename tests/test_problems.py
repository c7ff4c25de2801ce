"""Bad input: every problem named with file, line, what is wrong and what to write, exit 1, site untouched."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from portal import output
from portal.cli import main
from tests.sitefactory import action, casestudy, write_content

CS = "content/casestudies/01-friends-of-parks.md"


def run(tmp_path: Path, changes: dict, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    """Build the changed content in tmp_path over an existing site; return exit status and stderr."""
    os.chdir(tmp_path)
    write_content(tmp_path, changes)
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    (site / "index.html").write_text("the last good site")
    output.mark(site)  # as if the portal had built it
    status = main(["build", "--content", "content", "--out", "site", "--no-search", *extra])
    assert sorted(p.name for p in site.iterdir()) == [output.MARKER, "index.html"], "the last good site must stay"
    assert (site / "index.html").read_text() == "the last good site"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site-")], "no staging folder may be left"
    return status, capsys.readouterr().err


CASES = {
    "broken YAML": (
        {"casestudies/01-friends-of-parks.md": '---\ntitle: "Friends\nnumber: 1\n---\n\nText\n'},
        f"{CS}:3: the front matter is not valid YAML (while scanning a quoted scalar, found unexpected end of "
        "stream); write each field as `name: value`, put text containing `:` or `#` in double quotes, and check "
        "the closing `---` is on its own line"),
    "missing closing fence": (
        {"casestudies/01-friends-of-parks.md": '---\ntitle: "Friends"\nnumber: 1\n\n## What we did\n'},
        f"{CS}:1: the front matter opened on line 1 has no closing `---`: add a line `---` after the last field, "
        "before the text"),
    "missing required field": (
        {"casestudies/01-friends-of-parks.md": casestudy(1).replace('summary: "We met the Friends groups."\n', "")},
        f"{CS}:1: missing required field `summary`: add a line `summary: \"We provided a revamped service for "
        "offenders.\"` to the front matter"),
    "actions not a list": (
        {"casestudies/01-friends-of-parks.md": casestudy(1, actions="2.1")},
        f"{CS}:7: `actions` must be a list in square brackets, with each item in quotes, such as "
        "`actions: [\"2.7\", \"2.18\", \"2.21\"]`; found 2.1 (number)"),
    "unquoted action ids": (
        {"casestudies/01-friends-of-parks.md": casestudy(1, actions="[2.1, 2.10]")},
        f"{CS}:7: each item of `actions` must be in double quotes, such as `actions: [\"2.7\", \"2.18\", \"2.21\"]`; "
        "found 2.1 (without quotes, YAML reads it as the number 2.1)"),
    "number in words": (
        {"casestudies/01-friends-of-parks.md": casestudy(1).replace("number: 1", "number: seven")},
        f"{CS}:3: `number` must be a whole number, such as `number: 7`; found 'seven'"),
    "unknown action": (
        {"casestudies/01-friends-of-parks.md": casestudy(1, actions='["2.1", "2.33"]')},
        f"{CS}:7: unknown action '2.33' (known: 2.1 to 2.3, see content/actions/)"),
    "file name without .md": (
        {"casestudies/03-new-study": casestudy(3, "New Study")},
        "content/casestudies/03-new-study:1: this file is not read, because only names ending in `.md` are: rename "
        "it to `03-new-study.md` (or move it out of the content folder)"),
    "misspelt field": (
        {"casestudies/01-friends-of-parks.md": casestudy(1, extra='acitons: ["2.1"]\n')},
        f"{CS}:9: unknown field `acitons`: did you mean `actions`? the fields of a case study are title, number, "
        "summary, organisation, source, actions, period, summary_by, service, listed_as, groups, keywords, updated, "
        "checked"),
    "two case studies with one number": (
        {"casestudies/02-mystery-shopper.md": None, "casestudies/01-mystery-shopper.md": casestudy(1, "Shopper")},
        f"{CS}:3: the number 1 is also used by content/casestudies/01-mystery-shopper.md: give each file its own number"),
    "two case studies with one short name": (
        {"casestudies/02-friends-of-parks.md": casestudy(2, "Friends again")},
        f"{CS}:1: the short name friends-of-parks is also used by content/casestudies/02-friends-of-parks.md: "
        "give each file its own short name"),
    "action in unknown area": (
        {"actions/2-3.md": action("2.3", area="workfroce")},
        "content/actions/2-3.md:3: unknown area 'workfroce' (known: engagement, workforce, see content/areas/)"),
    "links to unknown action": (
        {"actions/2-3.md": action("2.3", area="workforce", links='["2.9"]')},
        "content/actions/2-3.md:4: `links_to` names unknown action '2.9' (known: 2.1 to 2.3, see content/actions/)"),
    "empty body": (
        {"casestudies/01-friends-of-parks.md": casestudy(1, body="\n")},
        f"{CS}:10: the case study has no text: write it in Markdown after the closing `---`"),
    "not UTF-8": (
        {"casestudies/01-friends-of-parks.md": casestudy(1, body="## What we did\n\nWe met the Friends groups.\n\nCaf")
         .encode() + b"\xe9 opened.\n"},
        f"{CS}:15: this file is not UTF-8 text (byte 0xe9 cannot be read): save it as UTF-8, or retype the "
        "character on this line"),
    "unknown group": (
        {"casestudies/01-friends-of-parks.md": casestudy(1, extra='groups: ["ages"]\n')},
        f"{CS}:9: unknown equality group 'ages' (known: age, see content/groups/)"),
    "script tag": (
        {"casestudies/01-friends-of-parks.md": casestudy(1, body="Hello <script>alert(1)</script>\n")},
        f"{CS}:11: HTML such as `<script>` is not allowed in content: write Markdown instead (for example "
        "`**bold**`, `- item`, `[text](link)`)"),
    "onerror attribute": (
        {"casestudies/01-friends-of-parks.md": casestudy(1, body='A picture <img src="x" onerror="alert(1)">\n')},
        f"{CS}:11: HTML such as `<img src=\"x\" onerror=\"alert(1)\">` is not allowed in content: write Markdown "
        "instead (for example `**bold**`, `- item`, `[text](link)`)"),
    "javascript link": (
        {"casestudies/01-friends-of-parks.md": casestudy(1, body="[Click](javascript:alert(1)) to see.\n")},
        f"{CS}:11: the link target `javascript:alert(1)` is not allowed: link to a page of this site, or to an "
        "address starting https://, mailto: or tel:"),
}


@pytest.mark.parametrize("name", CASES)
def test_bad_input_is_reported_and_the_site_kept(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    changes, expected = CASES[name]
    status, err = run(tmp_path, changes, capsys)
    assert status == 1
    assert expected in err.splitlines()


def test_all_problems_reported_in_one_run_sorted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    changes = {"casestudies/01-friends-of-parks.md": casestudy(1, actions='["2.33"]'),
               "actions/2-3.md": action("2.3", area="nowhere")}
    status, err = run(tmp_path, changes, capsys)
    lines = err.splitlines()
    assert status == 1
    assert lines == [
        "content/actions/2-3.md:3: unknown area 'nowhere' (known: engagement, workforce, see content/areas/)",
        f"{CS}:7: unknown action '2.33' (known: 2.1 to 2.3, see content/actions/)",
        "2 problems found; nothing was published.",
    ]


def test_check_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.chdir(tmp_path)
    write_content(tmp_path)
    assert main(["check", "--content", "content"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content"]
    assert "No problems found in 2 case studies and 3 actions." in capsys.readouterr().out


def test_check_reports_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.chdir(tmp_path)
    write_content(tmp_path, {"casestudies/01-friends-of-parks.md": casestudy(1, actions='["9.9"]')})
    assert main(["check", "--content", "content"]) == 1
    assert f"{CS}:7: unknown action '9.9' (known: 2.1 to 2.3, see content/actions/)" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["build", "--bogus"], ["nonsense"], ["build", "--content", "no-such-folder"]])
def test_usage_errors_exit_2(argv: list[str], tmp_path: Path) -> None:
    os.chdir(tmp_path)
    assert main(argv) == 2
