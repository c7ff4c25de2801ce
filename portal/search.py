"""Index the written site for search with Pagefind's binary from the pagefind-bin package."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path


class SearchIndexError(RuntimeError):
    """Pagefind failed; the message holds what it printed."""


def index(site_dir: Path) -> None:
    """Run Pagefind over `site_dir`, writing `site_dir/pagefind/`."""
    command = [sys.executable, "-m", "pagefind_bin", "--site", str(site_dir), "--output-subdir", "pagefind", "--quiet"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SearchIndexError(f"Pagefind failed:\n{result.stdout}{result.stderr}")
