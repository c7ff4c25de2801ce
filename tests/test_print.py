"""Printing in Chromium: navigation is dropped, the content and link targets are printed."""
from __future__ import annotations

import io
import unicodedata
from pathlib import Path

from playwright.sync_api import Page
from pypdf import PdfReader

from portal.model import Site


def printed(page: Page, url: str) -> str:
    """The text of a page printed to PDF, white space folded and ligatures (ﬀ, ﬁ) undone."""
    page.goto(url)
    reader = PdfReader(io.BytesIO(page.pdf(format="A4")))
    return unicodedata.normalize("NFKC", " ".join(" ".join(p.extract_text() for p in reader.pages).split()))


def test_case_study_prints_cleanly(page: Page, site_url: str, built: tuple[Path, Site]) -> None:
    text = printed(page, site_url + "casestudies/24-friends-of-parks/")
    assert "Friends of Parks" in text and "The difference it made" in text
    assert "How to cite this case study" in text
    assert "Skip to main content" not in text and "Evidence map Search" not in text
    assert "Previous case study" not in text


def test_area_pack_prints_everything(page: Page, site_url: str, built: tuple[Path, Site]) -> None:
    _out, site = built
    text = printed(page, site_url + "areas/modern-diverse-workforce/pack/")
    for study in site.studies_by_area["modern-diverse-workforce"]:
        assert f"Case study {study.number}: {study.title}" in text
    assert "Action 2.26" not in text and "2.26" in text and "Evidence gap" in text
    assert "Accessibility statement" not in text


def test_external_link_targets_are_printed(page: Page, site_url: str) -> None:
    text = printed(page, site_url + "accessibility/").replace(" ", "")
    assert "2.2(https://www.w3.org/TR/WCAG22/)" in text
