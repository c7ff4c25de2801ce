"""A council on another version of the framework changes content, not Python or templates."""
from __future__ import annotations

from pathlib import Path

from portal import pipeline
from portal.render import Options
from tests.htmltools import text_of
from tests.sitefactory import SETTINGS, organisation, source

MODULES = [
    ("communities", "Understanding and working with your communities"),
    ("leadership", "Leadership, partnership and organisational commitment"),
    ("services", "Responsive services and customer care"),
    ("workforce", "Diverse and engaged workforce"),
]


def framework_2021(root: Path) -> Path:
    """A small site on the 2021 framework: four modules, two actions each, three case studies."""
    content = root / "content"
    files = {"site.yaml": SETTINGS + 'framework: "Equality Framework for Local Government 2021"\narea_label: "module"\n'}
    for order, (slug, name) in enumerate(MODULES, start=1):
        files[f"areas/{slug}.md"] = f'---\nname: "{name}"\nshort_name: "{name.split(",")[0]}"\norder: {order}\n---\n\n{name}.\n'
        for n in (1, 2):
            files[f"actions/{order}-{n}.md"] = (f'---\nid: "{order}.{n}"\narea: "{slug}"\n---\n\n'
                                                f"Statement {order}.{n} of {name}.\n")
    for number, actions in ((1, '["1.1", "3.2"]'), (2, '["1.2"]'), (3, '["3.1", "3.2"]')):
        files[f"casestudies/0{number}-study-{number}.md"] = (
            f'---\ntitle: "Study {number}"\nnumber: {number}\nsummary: "Summary {number}."\n'
            f'organisation: "test-council"\nsource: "test-report"\nactions: {actions}\n---\n\n## What we did\n\n'
            f"Work {number}.\n")
    files["organisations/test-council.md"] = organisation("Test Council", "Test", "https://test.example.gov.uk/")
    files["sources/test-report.md"] = source("Test report", "test-council", "2021 to 2022")
    for relative, text in files.items():
        (content / relative).parent.mkdir(parents=True, exist_ok=True)
        (content / relative).write_text(text, encoding="utf-8")
    return content


def test_the_2021_framework_builds_with_its_own_modules(tmp_path: Path) -> None:
    content = framework_2021(tmp_path)
    out = tmp_path / "site"
    site = pipeline.build(pipeline.Paths(content, out), Options(search=False))
    assert [a.name for a in site.areas] == [name for _slug, name in MODULES]
    assert {a.id for a in site.gaps()} == {"2.1", "2.2", "4.1", "4.2"}
    home = text_of(out / "index.html")
    assert "Modules" in home and "Performance area" not in home
    assert "Equality Framework for Local Government 2021" in home
    areas = text_of(out / "areas" / "index.html")
    assert areas.startswith("Modules – Test portal") and "The framework groups its 8 actions into 4 modules." in areas
    services = text_of(out / "areas" / "services" / "index.html")
    assert "Module 3 of 4" in services and "Study 1" in services and "Study 3" in services and "Study 2" not in services
    action = text_of(out / "actions" / "3-2" / "index.html")
    assert "Statement 3.2 of Responsive services and customer care." in action
    assert "Study 1" in action and "Study 3" in action
    gap = text_of(out / "actions" / "4-1" / "index.html")
    assert "No case study shows evidence for this action yet." in gap
    assert "2 of 8 actions" not in text_of(out / "evidence-map" / "index.html")
    assert "4 of 8 actions have no evidence yet." in text_of(out / "evidence-map" / "index.html")
