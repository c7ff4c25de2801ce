"""The content reference documents every front-matter field the validator accepts; the README gives the two set-up
commands CI runs and the limits the portal applies."""
from __future__ import annotations

from portal import frontmatter, limits, schema
from tests.conftest import PROJECT

README = (PROJECT / "README.md").read_text(encoding="utf-8")
CONTENT = (PROJECT / "docs" / "content.md").read_text(encoding="utf-8")


def test_every_field_is_documented() -> None:
    for ctype in schema.CONTENT_TYPES + (schema.SETTINGS,):
        for field in ctype.fields:
            row = f"| `{field.name}` | {'yes' if field.required else 'no'} | {field.description} |"
            assert row in CONTENT, f"docs/content.md does not document {ctype.name} field {field.name}"


def test_ci_runs_the_readme_test_command() -> None:
    assert "bash scripts/serve.sh" in README and "bash scripts/test.sh" in README
    assert "bash scripts/test.sh" in (PROJECT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_safety_page_states_the_limits_the_portal_applies() -> None:
    safety = (PROJECT / "docs" / "safety.md").read_text(encoding="utf-8")
    assert f"| size of a content file | {limits.MAX_FILE_BYTES // 1024} KB |" in safety
    assert f"| length of a line | {limits.MAX_LINE_CHARS:,} characters |" in safety
    assert f"| lists and block quotes inside each other | {limits.MAX_NESTING} deep |" in safety
    assert f"| brackets inside brackets in front matter | {frontmatter.MAX_DEPTH} deep |" in safety
    assert "[docs/safety.md](docs/safety.md)" in README


def test_the_readme_is_for_the_people_who_use_the_portal() -> None:
    assert len(README.encode()) < 10_500, "keep the README short: put reference and measurements in docs/"
