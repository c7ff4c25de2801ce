"""The README documents every front-matter field the validator accepts, and the two set-up commands CI runs."""
from __future__ import annotations

from portal import schema
from tests.conftest import PROJECT

README = (PROJECT / "README.md").read_text(encoding="utf-8")


def test_every_field_is_documented() -> None:
    for ctype in schema.CONTENT_TYPES + (schema.SETTINGS,):
        for field in ctype.fields:
            row = f"| `{field.name}` | {'yes' if field.required else 'no'} | {field.description} |"
            assert row in README, f"README does not document {ctype.name} field {field.name}"


def test_ci_runs_the_readme_test_command() -> None:
    assert "bash scripts/serve.sh" in README and "bash scripts/test.sh" in README
    assert "bash scripts/test.sh" in (PROJECT / ".ci" / "run").read_text(encoding="utf-8")
