"""Publishing: nginx serves a sub-path build with the documented recipe, and the CI files and docs run real commands."""
from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import Page, expect

from portal import cli, pipeline
from portal.render import Options
from tests.conftest import PROJECT

RECIPE = PROJECT / "docs" / "nginx.conf"
PORT_LINE, ROOT_LINE = "listen 80;", "root /srv/www;"
PREFIX = "/equality/"
HTML_CACHE = "no-cache"
ASSET_CACHE = "public, max-age=31536000, immutable"
PAGEFIND_CACHE = "public, max-age=300"
CHECK = PROJECT / ".github" / "workflows" / "check.yml"
PUBLISH = PROJECT / ".github" / "workflows" / "publish.yml"
GITLAB = PROJECT / "docs" / "gitlab-ci.yml"
PUBLISHING = PROJECT / "docs" / "publishing.md"
CONTRIBUTING = PROJECT / "CONTRIBUTING.md"
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
COMMAND = re.compile(r"python3? build\.py(?: [^`\n#]*)?")


# --- nginx, configured with docs/nginx.conf --------------------------------------------------------------------

def nginx_binary() -> str:
    """The nginx program; the test fails, never skips, without it."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    assert found, "nginx is needed: bash scripts/test.sh installs it (apt-get install nginx)"
    return found


def mime_types(nginx: str) -> Path:
    """The mime.types file installed beside the system's nginx.conf, which the recipe includes."""
    built_with = subprocess.run([nginx, "-V"], capture_output=True, text=True, check=True).stderr
    conf = re.search(r"--conf-path=(\S+)", built_with)
    path = Path(conf.group(1)).parent / "mime.types" if conf else Path("/etc/nginx/mime.types")
    assert path.is_file(), f"nginx's mime.types is missing at {path}"
    return path


def recipe(root: Path, port: int) -> str:
    """docs/nginx.conf with only its two marked lines changed: the port and the folder holding equality/."""
    text = RECIPE.read_text(encoding="utf-8")
    for line in (PORT_LINE, ROOT_LINE):
        assert text.count(line) == 1, f"docs/nginx.conf must contain `{line}` once, marked CHANGE"
    return text.replace(PORT_LINE, f"listen 127.0.0.1:{port};").replace(ROOT_LINE, f"root {root};")


def main_config(folder: Path, nginx: str, root: Path, port: int) -> Path:
    """An nginx.conf like a distribution's: mime.types beside it, the recipe included inside `http {}`."""
    shutil.copy(mime_types(nginx), folder / "mime.types")
    (folder / "equality.conf").write_text(recipe(root, port), encoding="utf-8")
    temp = " ".join(f"{kind}_temp_path {folder / kind};" for kind in TEMP_PATHS)
    conf = folder / "nginx.conf"
    conf.write_text("events {}\nhttp {\n    default_type application/octet-stream;\n    access_log off;\n"
                    f"    {temp}\n    include {folder / 'equality.conf'};\n}}\n", encoding="utf-8")
    return conf


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_nginx(nginx: str, folder: Path, conf: Path, port: int) -> subprocess.Popen:
    """Run nginx in the foreground as the current user (workers as root only if that is root); wait for it."""
    as_root = " user root;" if os.getuid() == 0 else ""  # otherwise workers run as nobody and cannot read tmp_path
    globals_ = f"daemon off; pid {folder / 'nginx.pid'}; error_log stderr;{as_root}"
    log = folder / "nginx.log"
    with log.open("w") as output:
        process = subprocess.Popen([nginx, "-p", str(folder), "-c", str(conf), "-e", "stderr", "-g", globals_],
                                   stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nginx did not start:\n{log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return process
        time.sleep(0.05)
    process.kill()
    pytest.fail("nginx did not listen within 10 seconds")


@dataclass(frozen=True)
class Served:
    """The real content built for a sub-path, the folder it was copied to, and its address on nginx."""

    site: Path
    url: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The real portal built for http://127.0.0.1:PORT/equality/ and served there by nginx."""
    nginx = nginx_binary()
    folder = tmp_path_factory.mktemp("nginx")
    port = free_port()
    url = f"http://127.0.0.1:{port}{PREFIX}"
    site = folder / "www" / PREFIX.strip("/")
    pipeline.build(pipeline.Paths(PROJECT / "content", site), Options(url))
    process = start_nginx(nginx, folder, main_config(folder, nginx, folder / "www", port), port)
    yield Served(site, url)
    process.terminate()
    process.wait(timeout=10)


@dataclass(frozen=True)
class Response:
    """An HTTP response: status, headers and body."""

    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        """The body as UTF-8 text."""
        return self.body.decode("utf-8")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object) -> None:
        return None


OPENER = urllib.request.build_opener(_NoRedirects)


def get(url: str, headers: dict[str, str] | None = None) -> Response:
    """GET a URL without following redirects, returning error and redirect responses rather than raising."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with OPENER.open(request, timeout=10) as response:
            return Response(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, error.headers, error.read())


def asset_href(html: str, name: str) -> str:
    """The address a page gives for one of its assets, such as assets/style.css?v=063c44db1c."""
    found = re.search(rf'(?:href|src)="([^"]*assets/{re.escape(name)}\?v=[0-9a-f]+)"', html)
    assert found, f"no versioned link to assets/{name}"
    return found.group(1)


def test_home_page_is_html_that_browsers_check_every_time(served: Served) -> None:
    home = get(served.url)
    assert home.status == 200
    assert home.headers["Content-Type"] == "text/html; charset=utf-8"
    assert home.headers["Cache-Control"] == HTML_CACHE
    assert home.headers["X-Content-Type-Options"] == "nosniff"
    assert home.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert home.body == (served.site / "index.html").read_bytes()


def test_a_case_study_and_a_folder_without_its_slash(served: Served) -> None:
    study = get(served.url + "casestudies/07-offender-services/")
    assert study.status == 200 and "<h1>Offender Services</h1>" in study.text
    redirect = get(served.url + "casestudies/07-offender-services")
    assert redirect.status == 301
    assert redirect.headers["Location"] == PREFIX + "casestudies/07-offender-services/"


def test_versioned_assets_are_kept_for_a_year_and_unversioned_ones_are_not(served: Served) -> None:
    href = asset_href(get(served.url).text, "style.css")
    css = get(served.url + href)
    assert css.status == 200 and css.headers["Content-Type"] == "text/css; charset=utf-8"
    assert css.headers["Cache-Control"] == ASSET_CACHE
    assert css.body == (served.site / "assets" / "style.css").read_bytes()
    assert get(served.url + href.split("?")[0]).headers["Cache-Control"] == HTML_CACHE


def test_every_asset_reference_is_versioned(served: Served) -> None:
    for page in sorted(served.site.rglob("*.html")):
        for ref in re.findall(r'(?:href|src)="([^"]*assets/[^"]*)"', page.read_text(encoding="utf-8")):
            assert re.search(r"\?v=[0-9a-f]+$", ref), f"{page}: {ref} would be cached for a year without a version"


def test_a_missing_page_is_the_portals_404_page_with_links_that_work(served: Served) -> None:
    missing = get(served.url + "no/such/page/")
    assert missing.status == 404
    assert missing.headers["Content-Type"] == "text/html; charset=utf-8"
    assert missing.body == (served.site / "404.html").read_bytes()
    links = set(re.findall(r'(?:href|src)="(/[^"]*)"', missing.text))
    assert links and all(link.startswith(PREFIX) for link in links), links
    origin = served.url[: -len(PREFIX)]
    for link in sorted(links):
        assert get(origin + link).status == 200, link


def test_open_data_and_the_feed_have_their_types(served: Served) -> None:
    csv = get(served.url + "data/casestudies.csv")
    assert csv.status == 200 and csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert csv.body == (served.site / "data" / "casestudies.csv").read_bytes()
    assert get(served.url + "data/casestudies.json").headers["Content-Type"] == "application/json; charset=utf-8"
    assert get(served.url + "feed.xml").headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    assert get(served.url + "sitemap.xml").headers["Content-Type"] == "text/xml; charset=utf-8"


def test_pagefind_files_are_served_with_a_short_cache(served: Served) -> None:
    bundle = served.site / "pagefind"
    meta = next(bundle.glob("*.pf_meta")).name
    fragment = next((bundle / "fragment").glob("*.pf_fragment")).relative_to(bundle).as_posix()
    expected = {"pagefind.js": "application/javascript", "pagefind-entry.json": "application/json; charset=utf-8",
                meta: "application/octet-stream", fragment: "application/octet-stream",
                next(bundle.glob("wasm.*.pagefind")).name: "application/octet-stream"}
    for name, content_type in expected.items():
        response = get(served.url + "pagefind/" + name, {"Accept-Encoding": "gzip"})
        assert response.status == 200, name
        assert response.headers["Content-Type"].startswith(content_type), (name, response.headers["Content-Type"])
        assert response.headers["Cache-Control"] == PAGEFIND_CACHE, name
        if content_type == "application/octet-stream":
            assert response.headers["Content-Encoding"] is None, f"{name} is already compressed"
            assert response.body == (bundle / name).read_bytes()


def test_text_is_compressed(served: Served) -> None:
    home = get(served.url, {"Accept-Encoding": "gzip"})
    assert home.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in home.headers["Vary"]
    css = get(served.url + asset_href(get(served.url).text, "style.css"), {"Accept-Encoding": "gzip"})
    assert css.headers["Content-Encoding"] == "gzip"


def test_search_works_through_nginx(page: Page, served: Served) -> None:
    page.goto(served.url + "search/")
    page.get_by_label("Search case studies, actions and areas").fill("Cocaine users")
    page.keyboard.press("Enter")
    expect(page.locator("#search-status")).to_contain_text("for “Cocaine users”")
    page.get_by_role("link", name="Cocaine Awareness Group for Adults").click()
    expect(page).to_have_url(served.url + "casestudies/09-cocaine-awareness-group/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Cocaine Awareness Group for Adults")


# --- the CI files and the documentation --------------------------------------------------------------------------

def load_yaml(path: Path) -> dict:
    """A YAML file; GitHub's `on:` key, which YAML 1.1 reads as true, under "on"."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(workflow: dict, job: str) -> list[dict]:
    """The steps of one job of a GitHub workflow."""
    return workflow["jobs"][job]["steps"]


def uses(job_steps: list[dict], action: str) -> dict:
    """The step of a job that uses an action, such as actions/checkout@v4."""
    found = [step for step in job_steps if step.get("uses") == action]
    assert len(found) == 1, f"expected one step using {action}"
    return found[0]


def runs(job_steps: list[dict]) -> list[str]:
    """The shell commands of a job's steps, in order."""
    return [line.strip() for step in job_steps for line in step.get("run", "").splitlines() if line.strip()]


def test_pull_requests_run_the_strict_check_the_tests_and_upload_a_preview() -> None:
    workflow = load_yaml(CHECK)
    assert {"pull_request", "workflow_dispatch"} <= set(workflow["on"])
    content, tests = steps(workflow, "content"), steps(workflow, "tests")
    for job_steps in (content, tests):
        assert uses(job_steps, "actions/checkout@v4")["with"]["fetch-depth"] == 0
    assert uses(content, "actions/setup-python@v5")["with"]["python-version"] == "3.11"
    commands = runs(content)
    assert commands.index("python build.py check --strict") < commands.index("python build.py build")
    assert runs(tests) == ["bash scripts/test.sh -q"]
    upload = uses(content, "actions/upload-artifact@v4")["with"]
    assert upload["name"] == "site-preview" and upload["path"].rstrip("/") == "site"


def test_main_is_published_on_github_pages_with_its_address() -> None:
    workflow = load_yaml(PUBLISH)
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["permissions"]["pages"] == "write" and workflow["permissions"]["id-token"] == "write"
    assert workflow["concurrency"]["group"] == "pages"
    build = steps(workflow, "build")
    assert uses(build, "actions/checkout@v4")["with"]["fetch-depth"] == 0
    assert uses(build, "actions/configure-pages@v5")["id"] == "pages"
    step = next(s for s in build if "build.py build" in s.get("run", ""))
    assert step["run"] == 'python build.py build --base-url "$BASE_URL"'
    assert step["env"]["BASE_URL"] == "${{ steps.pages.outputs.base_url }}/"
    assert build.index(uses(build, "actions/upload-pages-artifact@v3")) > build.index(step)
    assert uses(build, "actions/upload-pages-artifact@v3")["with"]["path"] == "site"
    assert workflow["jobs"]["deploy"]["needs"] == "build"
    uses(steps(workflow, "deploy"), "actions/deploy-pages@v4")


def test_the_gitlab_recipe_publishes_the_default_branch_and_checks_merge_requests() -> None:
    pipeline_ = load_yaml(GITLAB)
    assert pipeline_["image"] == "python:3.11" and pipeline_["variables"]["GIT_DEPTH"] == 0
    pages = pipeline_["pages"]
    assert pages["script"] == ["pip install .", 'python build.py build --base-url "$CI_PAGES_URL/"', "mv site public"]
    assert pages["artifacts"]["paths"] == ["public"]
    assert pages["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}]
    check = pipeline_["check"]
    assert "python build.py check --strict" in check["script"]
    assert check["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'}]


def documented_commands() -> list[tuple[str, str]]:
    """Every `python build.py …` command in the docs and CI files, with the file it is in."""
    found = []
    for path in (CHECK, PUBLISH, GITLAB, PUBLISHING, CONTRIBUTING, RECIPE):
        found += [(path.name, match.group(0).strip()) for match in COMMAND.finditer(path.read_text(encoding="utf-8"))]
    return found


def test_every_documented_command_is_one_the_cli_accepts() -> None:
    commands = documented_commands()
    assert {name for name, _ in commands} >= {"check.yml", "publish.yml", "gitlab-ci.yml", "publishing.md",
                                              "CONTRIBUTING.md"}
    for name, command in commands:
        args = shlex.split(re.sub(r"\$\{?[A-Z_]+\}?", "https://example.org/equality/", command))[2:]  # a CI variable's value
        with contextlib.redirect_stderr(io.StringIO()) as errors:
            try:
                cli.parser().parse_args(args or ["build"])
            except SystemExit:
                pytest.fail(f"{name}: `{command}` is not a command build.py accepts: {errors.getvalue()}")


def test_every_documented_script_exists() -> None:
    for path in (CONTRIBUTING, PUBLISHING):
        for script in re.findall(r"bash (scripts/\S+\.sh)", path.read_text(encoding="utf-8")):
            assert (PROJECT / script).is_file(), f"{path.name} names {script}, which does not exist"


def test_the_readme_links_the_publishing_guide() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    publishing = readme.split("## Publishing", 1)[1].split("\n## ", 1)[0]
    assert "(docs/publishing.md)" in publishing
    guide = PUBLISHING.read_text(encoding="utf-8")
    for name in ("docs/nginx.conf", "docs/gitlab-ci.yml", ".github/workflows/publish.yml"):
        assert name in guide and (PROJECT / name).is_file(), name


def test_the_guides_name_the_checks_a_pull_request_shows() -> None:
    guide = CONTRIBUTING.read_text(encoding="utf-8")
    workflow = load_yaml(CHECK)
    for job in workflow["jobs"].values():
        assert f"{workflow['name']} / {job['name']}" in guide, job["name"]
    assert "site-preview" in guide and "bash scripts/serve.sh" in guide
    assert (PROJECT / ".github" / "pull_request_template.md").is_file()


def run_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run build.py in the current folder; return its exit status and everything it printed."""
    status = cli.main(args)
    printed = capsys.readouterr()
    return status, printed.out + printed.err


def test_contributing_shows_what_the_checks_really_print(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    guide = CONTRIBUTING.read_text(encoding="utf-8")
    shutil.copytree(PROJECT / "content", tmp_path / "content")
    os.chdir(tmp_path)
    status, printed = run_cli(["new", "casestudy", "Community Cafe for Older Residents"], capsys)
    assert status == 0 and printed.strip() in guide
    new = tmp_path / printed.strip()
    assert run_cli(["check"], capsys)[0] == 0
    status, printed = run_cli(["check", "--strict"], capsys)
    assert status == 1 and printed in guide, printed
    new.write_text(new.read_text(encoding="utf-8").replace("actions: []", 'actions: ["2.7", "2.33"]'), encoding="utf-8")
    status, printed = run_cli(["check"], capsys)
    assert status == 1 and printed in guide, printed


def test_the_example_case_study_in_contributing_passes_the_strict_check(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    guide = CONTRIBUTING.read_text(encoding="utf-8")
    name = re.search(r"For example: `(\d\d-[a-z0-9-]+\.md)`", guide).group(1)
    block = re.search(r"```markdown\n(.*?)```", guide, re.DOTALL).group(1)
    example = "\n".join(line.removeprefix("   ") for line in block.split("\n"))
    shutil.copytree(PROJECT / "content", tmp_path / "content")
    (tmp_path / "content" / "casestudies" / name).write_text(example, encoding="utf-8")
    os.chdir(tmp_path)
    status, printed = run_cli(["check", "--strict"], capsys)
    assert status == 0 and printed == "No problems found in 25 case studies and 32 actions (strict).\n", printed


def test_contributing_gives_how_long_the_preview_is_kept() -> None:
    upload = uses(steps(load_yaml(CHECK), "content"), "actions/upload-artifact@v4")["with"]
    assert f"The preview is kept for {upload['retention-days']} days" in CONTRIBUTING.read_text(encoding="utf-8")
