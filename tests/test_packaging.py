"""The portal as a package: a wheel built from the repository builds a site anywhere, with the `portal` command."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT


def test_an_installed_wheel_builds_the_site_outside_the_repository(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(PROJECT)],
                   check=True, capture_output=True)
    installed = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(installed),
                    *map(str, wheels.glob("*.whl"))], check=True, capture_output=True)
    elsewhere = tmp_path / "council"
    shutil.copytree(PROJECT / "content", elsewhere / "content")
    env = {**os.environ, "PYTHONPATH": str(installed)}  # the wheel's portal, not the repository's
    where = subprocess.run([sys.executable, "-c", "import portal, sys; print(portal.__file__)"], cwd=elsewhere, env=env,
                           capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(installed)), where
    built = subprocess.run([str(installed / "bin" / "portal"), "build", "--no-search"], cwd=elsewhere, env=env,
                           capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stderr
    assert built.stdout == "Built 24 case studies and 32 actions into site/\n"
    page = (elsewhere / "site" / "casestudies" / "07-offender-services" / "index.html").read_text(encoding="utf-8")
    assert "<h1>Offender Services</h1>" in page
    assert (elsewhere / "site" / "assets" / "style.css").read_bytes().endswith((PROJECT / "static" / "style.css")
                                                                              .read_bytes())
    checked = subprocess.run([sys.executable, "-m", "portal", "check"], cwd=elsewhere, env=env, capture_output=True,
                             text=True, check=False)
    assert checked.returncode == 0 and checked.stdout.startswith("No problems found"), checked.stderr


def test_no_module_is_named_after_a_package_on_pypi_that_the_portal_or_its_tests_use() -> None:
    used = {"jsonschema", "markdown", "yaml", "jinja2", "nh3", "docx", "hypothesis", "playwright", "pypdf", "cbor2",
            "watchfiles", "livereload", "tornado", "pagefind_bin"}
    modules = {path.stem for path in (PROJECT / "portal").rglob("*.py")} | {
        path.name for path in (PROJECT / "portal").iterdir() if path.is_dir()}
    assert not modules & used, modules & used
