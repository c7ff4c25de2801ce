"""Small content trees written from a dict into a temporary folder."""
from __future__ import annotations

from pathlib import Path

SETTINGS = """title: "Test portal"
owner: "Test Council"
description: "Evidence for tests."
colour: "#00594f"
licence: "Open Government Licence v3.0"
licence_url: "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
contact_email: "equalities@test-council.gov.uk"
"""


SUMMARY = "We met the Friends groups."


def casestudy(number: int = 1, title: str = "Friends of Parks", actions: str = '["2.1", "2.2"]',
              body: str = "## What we did\n\nWe met the Friends groups.\n", extra: str = "") -> str:
    """A valid case study file's text, whose summary is a sentence of its text (added at the end if need be)."""
    if body.strip() and SUMMARY not in body:
        body = body.rstrip("\n") + f"\n\n{SUMMARY}\n"
    return (f'---\ntitle: "{title}"\nnumber: {number}\nsummary: "{SUMMARY}"\n'
            f'organisation: "test-council"\nsource: "test-report"\nactions: {actions}\nkeywords: ["parks"]\n{extra}'
            f'---\n\n{body}')


def organisation(name: str, short_name: str, website: str) -> str:
    """A valid organisation file's text."""
    return f'---\nname: "{name}"\nshort_name: "{short_name}"\nwebsite: "{website}"\n---\n'


def source(title: str, publisher: str, period: str) -> str:
    """A valid source document file's text."""
    return f'---\ntitle: "{title}"\npublisher: "{publisher}"\nperiod: "{period}"\n---\n'


def action(action_id: str, area: str = "engagement", links: str = "[]", statement: str = "A statement.") -> str:
    """A valid action file's text."""
    return f'---\nid: "{action_id}"\narea: "{area}"\nlinks_to: {links}\n---\n\n{statement}\n'


def area(name: str, order: int) -> str:
    """A valid performance area file's text."""
    return f'---\nname: "{name}"\nshort_name: "{name}"\norder: {order}\n---\n\nAbout {name}.\n'


BASE: dict[str, str | bytes] = {
    "site.yaml": SETTINGS,
    "areas/engagement.md": area("Engagement", 1),
    "areas/workforce.md": area("Workforce", 2),
    "actions/2-1.md": action("2.1", links='["2.2"]', statement="Communities are consulted."),
    "actions/2-2.md": action("2.2", statement="Feedback is given."),
    "actions/2-3.md": action("2.3", area="workforce", statement="Pay is reviewed."),
    "groups/age.md": '---\nname: "Age"\norder: 1\n---\n\nPeople of a particular age.\n',
    "organisations/test-council.md": organisation("Test Council", "Test", "https://test.example.gov.uk/"),
    "sources/test-report.md": source("Test report", "test-council", "2009 to 2010"),
    "casestudies/01-friends-of-parks.md": casestudy(1, extra='groups: ["age"]\n'),
    "casestudies/02-mystery-shopper.md": casestudy(2, "The Mystery Shopper", '["2.2"]'),
}


def write_content(root: Path, changes: dict[str, str | bytes | None] | None = None) -> Path:
    """Write the base content with `changes` applied (None deletes a file) under root/content."""
    files = {**BASE, **(changes or {})}
    content = root / "content"
    for relative, text in files.items():
        if text is None:
            continue
        path = content / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return content
