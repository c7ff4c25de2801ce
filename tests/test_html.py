"""Every built page is valid HTML by html-validate's standard preset (.htmlvalidate.json), with a title and a description."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from portal.model import Site
from tests.conftest import PROJECT

HTML_VALIDATE = PROJECT / "node_modules" / ".bin" / "html-validate"


def test_every_page_is_valid_html(built: tuple[Path, Site]) -> None:
    out, _site = built
    assert HTML_VALIDATE.exists(), "html-validate is missing: run `npm ci` (scripts/test.sh does)"
    pages = list(out.rglob("*.html"))
    assert len(pages) > 90
    done = subprocess.run([str(HTML_VALIDATE), "--config", str(PROJECT / ".htmlvalidate.json"),
                           "--formatter", "text", "--max-warnings", "0", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_page_has_a_title_and_a_description(built: tuple[Path, Site]) -> None:
    out, _site = built
    for page in out.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert re.search(r"<title>[^<]{10,}</title>", html), page
        assert re.search(r'<meta name="description" content="[^"]{20,}">', html), f"{page}: no description for search engines"
