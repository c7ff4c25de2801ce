"""Staff editing: new files from `new`, JSON Schemas that agree with the build's validation, and `check --strict`."""
from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from portal import editor_schemas, load, schema, source
from portal.cli import main
from tests.conftest import PROJECT
from tests.sitefactory import casestudy, write_content

CS = "content/casestudies/01-friends-of-parks.md"


@pytest.mark.parametrize(("kind", "title", "expected"), [
    ("casestudy", "Carers' Week in the Library!", "content/casestudies/03-carers-week-in-the-library.md"),
    ("action", "Staff are trained.", "content/actions/2-4.md"),
    ("progress", "Improve data on residents", "content/progress/01-improve-data-on-residents.md"),
])
def test_new_writes_a_valid_file_and_prints_its_path(kind: str, title: str, expected: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    os.chdir(tmp_path)
    write_content(tmp_path)
    assert main(["new", kind, title, "--content", "content"]) == 0
    assert capsys.readouterr().out.strip() == expected
    text = (tmp_path / expected).read_text(encoding="utf-8")
    for field in {"casestudy": schema.CASE_STUDY, "action": schema.ACTION, "progress": schema.PROGRESS}[kind].fields:
        assert f"# {field.description}" in text, field.name
    assert "# yaml-language-server: $schema=../../schemas/" in text
    assert main(["check", "--content", "content"]) == 0
    assert main(["new", kind, title, "--content", "content"]) == 0  # the next one gets the next number
    assert capsys.readouterr().out.strip() != expected


def test_new_case_study_is_flagged_by_strict_until_filled_in(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.chdir(tmp_path)
    write_content(tmp_path)
    main(["new", "casestudy", "Parks survey", "--content", "content"])
    capsys.readouterr()
    assert main(["check", "--strict", "--content", "content"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert any(line.startswith("content/casestudies/03-parks-survey.md:") and "lists no actions" in line for line in err)
    assert any("the summary has not been written" in line for line in err)


def real_site():  # noqa: ANN201 (the model type)
    return load.load(source.read_tree(PROJECT / "content"))


def test_committed_schemas_are_current() -> None:
    for name, text in editor_schemas.files(real_site()).items():
        assert (PROJECT / "schemas" / name).read_text(encoding="utf-8") == text, "run `python build.py schemas`"


GOOD = casestudy(1, extra='groups: ["age"]\nupdated: 2011-05-04\n')
EXAMPLES = {
    "valid": GOOD,
    "missing summary": GOOD.replace('summary: "We met the Friends groups."\n', ""),
    "actions not a list": casestudy(1, actions="2.1"),
    "unquoted ids": casestudy(1, actions="[2.1, 2.2]"),
    "number in words": GOOD.replace("number: 1", "number: seven"),
    "number zero": GOOD.replace("number: 1", "number: 0"),
    "unknown action": casestudy(1, actions='["2.1", "2.33"]'),
    "unknown group": casestudy(1, extra='groups: ["ages"]\n'),
    "misspelt field": casestudy(1, extra='acitons: ["2.1"]\n'),
    "repeated action": casestudy(1, actions='["2.1", "2.1"]'),
    "empty title": GOOD.replace('title: "Friends of Parks"', 'title: ""'),
    "bad date": GOOD.replace("updated: 2011-05-04", 'updated: "last May"'),
}


def _as_json(value: object) -> object:
    """What an editor's YAML language server sees: dates are strings."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    return value.isoformat() if isinstance(value, datetime.date) else value


@pytest.mark.parametrize("name", EXAMPLES)
def test_schema_and_validator_agree(name: str, tmp_path: Path) -> None:
    os.chdir(tmp_path)
    write_content(tmp_path, {"casestudies/01-friends-of-parks.md": EXAMPLES[name]})
    site = load.load(source.read_tree(write_content(tmp_path / "base")))
    validator = Draft202012Validator(editor_schemas.make("casestudy", site))
    meta = yaml.safe_load(EXAMPLES[name].split("\n---\n")[0].removeprefix("---\n"))
    schema_errors = [e.message for e in validator.iter_errors(_as_json(meta))]
    try:
        load.load(source.read_tree(Path("content")))
        build_problems = []
    except Exception as error:  # noqa: BLE001 (ContentError; anything else fails below)
        build_problems = [str(p) for p in getattr(error, "problems")]
    assert bool(schema_errors) == bool(build_problems) == (name != "valid"), (schema_errors, build_problems)


STRICT = {
    "link to a missing page": ("See [case study 7](../07-offender-services/).",
                               f"{CS}:11: the link `../07-offender-services/` leads to casestudies/07-offender-services, "
                               "which does not exist: link to an existing page, such as ../07-offender-services/ for a "
                               "case study"),
    "image without alt text": ("![](photo.jpg)",
                               f"{CS}:11: the image `photo.jpg` has no alt text: describe what it shows between the "
                               "brackets, such as ![Volunteers planting trees](photo.jpg)"),
    "heading skips a level": ("## What we did\n\n#### Results",
                              f"{CS}:13: this heading skips from level 2 to level 4: write it with ### instead of ####"),
    "click here": ("To see the survey [click here](https://example.org/survey).",
                   f"{CS}:11: the link text “click here” does not say where the link goes: use words that do, such as "
                   "[the 2010 survey results](https://example.org/survey)"),
    "bare URL": ("The survey is at https://example.org/survey today.",
                 f"{CS}:11: the web address https://example.org/survey is not a link with words: write it as "
                 "[words that say where it goes](https://example.org/survey)"),
    "table without a header row": ("| 2009 | 20 groups |\n| 2010 | 25 groups |",
                                   f"{CS}:11: this table has no header row: make its first row the column headings and "
                                   "put a line such as |---|---| under it"),
    "mention of a missing case study": ("This follows case study 32.",
                                        f"{CS}:11: the text mentions case study 32, which does not exist (there are case "
                                        "studies 1 to 2): correct the number, or if the text is kept as published, add "
                                        "`checked: [\"mentions case study 32\"]` to the front matter"),
    "no actions": (None, f"{CS}:7: the case study lists no actions: add the ids of the actions it evidences, such as "
                         "`actions: [\"2.13\", \"2.21\"]`"),
}


@pytest.mark.parametrize("name", STRICT)
def test_strict_findings(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body, expected = STRICT[name]
    os.chdir(tmp_path)
    text = casestudy(1, actions="[]") if body is None else casestudy(1, body=body + "\n")
    write_content(tmp_path, {"casestudies/01-friends-of-parks.md": text})
    assert main(["check", "--content", "content"]) == 0, "plain check accepts it"
    assert main(["check", "--strict", "--content", "content"]) == 1
    assert expected in capsys.readouterr().err.splitlines()


def test_a_good_link_and_a_checked_finding_pass_strict(tmp_path: Path) -> None:
    os.chdir(tmp_path)
    body = ("See [the Mystery Shopper case study](../02-mystery-shopper/) and [action 2.1](../../actions/2-1/).\n\n"
            "This follows case study 32.\n")
    write_content(tmp_path, {"casestudies/01-friends-of-parks.md": casestudy(
        1, body=body, extra='checked: ["mentions case study 32"]\n')})
    assert main(["check", "--strict", "--content", "content"]) == 0


def test_the_real_content_passes_strict() -> None:
    os.chdir(PROJECT)
    assert main(["check", "--strict"]) == 0
