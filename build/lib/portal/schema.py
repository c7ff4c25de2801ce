"""The fields each kind of content file may have: one declaration that validation and documentation share."""
from __future__ import annotations

import datetime
import difflib
import re
import reprlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

from .frontmatter import Document
from . import urls
from .problems import Problem

ACTION_ID = r"^\d+\.\d+$"
SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"
COLOUR = r"^#[0-9a-fA-F]{6}$"
EDITORS = r"^editors$"
PARTIAL_DATE = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"
EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+\Z")


@dataclass(frozen=True)
class Field:
    """One front-matter field: its name, kind, whether it is required, and how to write it."""

    name: str
    kind: str  # "text", "integer", "list", "date", "url" (an http or https address), "email", "matrix"
    required: bool
    description: str
    example: str
    pattern: str | None = None
    minimum: int | None = None


@dataclass(frozen=True)
class ContentType:
    """A kind of content file: the folder it lives in and its fields."""

    name: str
    folder: str
    fields: tuple[Field, ...]
    needs_body: bool = True

    def field(self, name: str) -> Field | None:
        """The field called `name`, if this type has one."""
        return next((f for f in self.fields if f.name == name), None)


CASE_STUDY = ContentType("case study", "casestudies", (
    Field("title", "text", True, "The heading of the case study.",
          '"Offender Services"'),
    Field("number", "integer", True, "Its number, unique, from 1; the file name starts with it (07-…).",
          "7", minimum=1),
    Field("summary", "text", True, "One or two sentences from its own text, shown in lists and search results.",
          '"We provided a revamped service for offenders."'),
    Field("organisation", "text", True, "Whose evidence this is: a file name in content/organisations/ without .md.",
          '"havering"', pattern=SLUG),
    Field("source", "text", True, "The document it comes from: a file name in content/sources/ without .md.",
          '"havering-equality-case-studies"', pattern=SLUG),
    Field("actions", "list", True, "The ids of the framework actions it evidences, each in quotes.",
          '["2.7", "2.18", "2.21"]', pattern=ACTION_ID),
    Field("period", "text", False, "When the work took place, where its text says, such as 2009 to 2010; "
          "otherwise the period of its source document is shown.", '"2009 to 2010"'),
    Field("summary_by", "text", False, "`editors` if the summary is the portal editors' own words rather than "
          "sentences from the text: it is then labelled as theirs.", '"editors"', pattern=EDITORS),
    Field("service", "text", False, "The council service or team that did the work, where known.",
          '"Business Development Unit"'),
    Field("listed_as", "text", False, "The title the source document's summary list gives it, where that differs.",
          '"Encouraging Participation in Local Democracy"'),
    Field("groups", "list", False, "The equality groups it concerns, from content/groups/.",
          '["age", "disability"]', pattern=SLUG),
    Field("keywords", "list", False, "Words a resident might search for that the text does not use, such as "
          "wheelchair: search finds the item by them; they are not shown.", '["wheelchair", "sport"]'),
    Field("updated", "date", False, "The date it was last updated, as YYYY-MM-DD, used when the file has no Git history.",
          "2010-11-30"),
    Field("checked", "list", False, "Findings of `check --strict` an editor has reviewed and keeps on purpose, "
          "such as text kept as published.", '["mentions case study 32"]'),
))

ACTION = ContentType("action", "actions", (
    Field("id", "text", True, "The action's number in the framework, in quotes; the file name is it with '-' for '.'.",
          '"2.13"', pattern=ACTION_ID),
    Field("area", "text", True, "The performance area it belongs to: a file name in content/areas/ without .md.",
          '"community-engagement"', pattern=SLUG),
    Field("links_to", "list", False, "The ids of the actions its statement says it links to.",
          '["2.4", "2.17"]', pattern=ACTION_ID),
    Field("keywords", "list", False, "Words a resident might search for that the text does not use, such as "
          "wheelchair: search finds the item by them; they are not shown.", '["wheelchair", "sport"]'),
))

AREA = ContentType("performance area", "areas", (
    Field("name", "text", True, "The area's full name.", '"Community Engagement and Satisfaction"'),
    Field("short_name", "text", True, "A short name for tags, filters and narrow screens.", '"Community engagement"'),
    Field("order", "integer", True, "Its place in the framework, from 1.", "3", minimum=1),
    Field("keywords", "list", False, "Words a resident might search for that the text does not use, such as "
          "wheelchair: search finds the item by them; they are not shown.", '["wheelchair", "sport"]'),
))

GROUP = ContentType("equality group", "groups", (
    Field("name", "text", True, "The group's name.", '"Disability"'),
    Field("order", "integer", True, "Its place in lists, from 1.", "2", minimum=1),
    Field("keywords", "list", False, "Words a resident might search for that the text does not use, such as "
          "wheelchair: search finds the item by them; they are not shown.", '["wheelchair", "sport"]'),
))

PROGRESS = ContentType("progress report", "progress", (
    Field("title", "text", True, "The equality objective, as the action plan words it.",
          '"Develop a modern and diverse workforce to reflect the community we serve"'),
    Field("number", "integer", True, "Its number in the plan, unique, from 1; the file name starts with it (01-…).",
          "1", minimum=1),
    Field("summary", "text", True, "One or two sentences from its own text, shown in lists and search results.",
          '"Produced and published our Annual Equality in Employment report for 2010/11."'),
    Field("organisation", "text", True, "Whose evidence this is: a file name in content/organisations/ without .md.",
          '"harrow"', pattern=SLUG),
    Field("source", "text", True, "The document it comes from: a file name in content/sources/ without .md.",
          '"harrow-equality-progress-2011"', pattern=SLUG),
    Field("areas", "list", True, "The performance areas the objective serves, as the portal's editors match them: "
          "file names in content/areas/ without .md.", '["modern-diverse-workforce"]', pattern=SLUG),
    Field("plan", "text", False, "The equality action plan it reports against.", '"Single Equality Scheme Action Plan"'),
    Field("period", "text", False, "The period it reports on, where the report says; otherwise the period of its "
          "source document is shown.", '"2010/11"'),
    Field("summary_by", "text", False, "`editors` if the summary is the portal editors' own words rather than "
          "sentences from the text: it is then labelled as theirs.", '"editors"', pattern=EDITORS),
    Field("groups", "list", False, "The equality groups it concerns, from content/groups/.",
          '["race", "sex"]', pattern=SLUG),
    Field("keywords", "list", False, "Words a resident might search for that the text does not use, such as "
          "wheelchair: search finds the item by them; they are not shown.", '["wheelchair", "sport"]'),
    Field("updated", "date", False, "The date it was last updated, as YYYY-MM-DD, used when the file has no Git history.",
          "2012-03-31"),
    Field("checked", "list", False, "Findings of `check --strict` an editor has reviewed and keeps on purpose, "
          "such as text kept as published.", '["mentions case study 32"]'),
))

ORGANISATION = ContentType("organisation", "organisations", (
    Field("name", "text", True, "The organisation's full name.", '"London Borough of Havering"'),
    Field("short_name", "text", True, "A short name for cards, filters and narrow screens.", '"Havering"'),
    Field("website", "url", True, "The address of its website.", '"https://www.havering.gov.uk/"'),
), needs_body=False)

SOURCE = ContentType("source document", "sources", (
    Field("title", "text", True, "The document's title, as it gives it.", '"Equality Framework case studies"'),
    Field("publisher", "text", True, "Who published it: a file name in content/organisations/ without .md.",
          '"havering"', pattern=SLUG),
    Field("period", "text", True, "The period its evidence covers, as far as the document shows.", '"2008 to 2011"'),
    Field("published", "text", False, "When it was published, as YYYY, YYYY-MM or YYYY-MM-DD, as far as known.",
          '"2011-03"', pattern=PARTIAL_DATE),
    Field("address", "url", False, "Where the document was published, if known.",
          '"https://www.havering.gov.uk/equality"'),
    Field("licence", "text", False, "The licence the document was published under, if it says.",
          '"Open Government Licence v3.0"'),
    Field("matrix", "matrix", False, "The document's own summary of which case studies evidence which actions, as "
          "it prints it (action id: case study numbers), so that the portal can show where it disagrees with the "
          "case studies.", '{"2.1": [1, 16], "2.2": [16]}'),
    Field("keywords", "list", False, "Words a resident might search for that the text does not use, such as "
          "wheelchair: search finds the item by them; they are not shown.", '["wheelchair", "sport"]'),
), needs_body=False)

PAGE = ContentType("page", "pages", (
    Field("title", "text", True, "The page's heading.", '"Accessibility statement"'),
    Field("summary", "text", False, "One sentence about the page, for search results.", '"How accessible this site is."'),
))

SETTINGS = ContentType("settings file", "", (
    Field("title", "text", True, "The portal's name, shown in the header of every page.", '"Equality evidence portal"'),
    Field("owner", "text", True, "The council or public body that publishes the portal.", '"London Borough of Havering"'),
    Field("description", "text", True, "One sentence about the portal, for the home page and search engines.",
          '"How the council meets the public sector equality duty."'),
    Field("colour", "text", True, "The council's colour for the header, as #rrggbb; white text must be readable on it.",
          '"#00594f"', pattern=COLOUR),
    Field("licence", "text", True, "The licence the content and open data are published under.",
          '"Open Government Licence v3.0"'),
    Field("licence_url", "url", True, "The address of the licence's text, starting https://.",
          '"https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"'),
    Field("contact_email", "email", True, "Where readers report a problem or ask for another format.",
          '"equalities@example.gov.uk"'),
    Field("framework", "text", False, "The name of the equality framework the actions come from.",
          '"Equality Framework for Local Government"'),
    Field("area_label", "text", False, "What the framework calls its groups of actions, singular, in lower case "
          "(default: performance area).", '"module"'),
    Field("checked", "list", False, "Findings of `check --strict` an editor has reviewed and keeps on purpose, "
          "such as a placeholder contact address on a demonstration site.", '["placeholder contact address"]'),
), needs_body=False)

CONTENT_TYPES = (CASE_STUDY, ACTION, AREA, GROUP, PROGRESS, PAGE, ORGANISATION, SOURCE)


def validate(doc: Document, ctype: ContentType) -> list[Problem]:
    """Check a document's front matter and body against its type's fields."""
    problems = [_unknown(doc, key, ctype) for key in doc.meta if ctype.field(str(key)) is None]
    for field in ctype.fields:
        if field.name not in doc.meta:
            if field.required:
                problems.append(Problem(doc.path, 1, f"missing required field `{field.name}`: "
                                        f"add a line `{field.name}: {field.example}` to the front matter"))
            continue
        message = check_value(field, doc.meta[field.name])
        if message:
            problems.append(Problem(doc.path, doc.line_of(field.name), message))
    if ctype.needs_body and not doc.body.strip():
        problems.append(Problem(doc.path, doc.body_line, f"the {ctype.name} has no text: write it in Markdown "
                                "after the closing `---`"))
    return problems


def _unknown(doc: Document, key: Any, ctype: ContentType) -> Problem:
    names = [f.name for f in ctype.fields]
    close = difflib.get_close_matches(str(key), names, n=1)
    hint = f"did you mean `{close[0]}`? " if close else ""
    return Problem(doc.path, doc.line_of(str(key)), f"unknown field `{key}`: {hint}"
                   f"the fields of a {ctype.name} are {', '.join(names)}")


def check_value(field: Field, value: Any) -> str | None:
    """What is wrong with a field's value, or None if it is right."""
    found = _show(value)
    if field.kind == "text":
        if not isinstance(value, str) or not value.strip():
            return f"`{field.name}` must be text, such as `{field.name}: {field.example}`; found {found}"
        return _pattern(field, value)
    if field.kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return f"`{field.name}` must be a whole number, such as `{field.name}: {field.example}`; found {found}"
        if field.minimum is not None and value < field.minimum:
            return f"`{field.name}` must be {field.minimum} or more; found {value}"
        return None
    if field.kind in ("url", "email"):
        if not isinstance(value, str) or not value.strip():
            return f"`{field.name}` must be text, such as `{field.name}: {field.example}`; found {found}"
        if field.kind == "url" and not urls.is_web_address(value):
            return (f"`{field.name}` must be a web address starting https:// or http://, such as "
                    f"`{field.name}: {field.example}`; found {found}")
        if field.kind == "email" and not EMAIL.match(value):
            return f"`{field.name}` must be an email address, such as `{field.name}: {field.example}`; found {found}"
        return None
    if field.kind == "matrix":
        return _check_matrix(field, value)
    if field.kind == "date":
        if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
            return f"`{field.name}` must be a date written YYYY-MM-DD, such as `{field.name}: {field.example}`; found {found}"
        return None
    return _check_list(field, value)


def _check_matrix(field: Field, value: Any) -> str | None:
    example = f"`{field.name}: {field.example}`"
    if not isinstance(value, dict):
        return f"`{field.name}` must be a list of `\"action id\": [case study numbers]` in braces, such as {example}; " \
               f"found {_show(value)}"
    for key, numbers in value.items():
        if not isinstance(key, str) or not re.match(ACTION_ID, key):
            return f"each action id in `{field.name}` must be in double quotes, such as {example}; found {_show(key)}"
        if not isinstance(numbers, list) or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1
                                                    for n in numbers):
            return f"`{field.name}` gives action {key} {_show(numbers)}: write the case study numbers in brackets, " \
                   f"such as {example}"
    return None


def _check_list(field: Field, value: Any) -> str | None:
    example = f"`{field.name}: {field.example}`"
    if not isinstance(value, list):
        return f"`{field.name}` must be a list in square brackets, with each item in quotes, such as {example}; found {_show(value)}"
    for item in value:
        if not isinstance(item, str):
            extra = f" (without quotes, YAML reads it as the number {item!r})" if isinstance(item, float) else ""
            return f"each item of `{field.name}` must be in double quotes, such as {example}; found {SHOWN.repr(item)}{extra}"
        message = _pattern(field, item)
        if message:
            return message
    if len(set(value)) != len(value):
        repeated = sorted(v for v, n in Counter(value).items() if n > 1)
        return f"`{field.name}` lists {', '.join(repeated)} more than once: list each only once"
    return None


def _pattern(field: Field, value: str) -> str | None:
    if field.pattern and not re.match(field.pattern, value):
        return f"`{field.name}` has {SHOWN.repr(value)}, which is not written like {field.example}"
    return None


SHOWN = reprlib.Repr()  # a value, in a message: never longer than a line, however large it is
SHOWN.maxlevel, SHOWN.maxlist, SHOWN.maxdict, SHOWN.maxstring, SHOWN.maxother = 2, 4, 4, 50, 50


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return SHOWN.repr(value)
    kind = {"str": "text", "float": "number", "int": "number"}.get(type(value).__name__, type(value).__name__)
    return f"{SHOWN.repr(value)} ({kind})"
