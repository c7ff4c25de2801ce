"""The command line: build, check and serve. Exit 0 on success, 1 when the content has problems, 2 when the command
cannot be carried out as given (a wrong argument, a refused or unwritable output folder), 3 on an internal error."""
from __future__ import annotations

import argparse
import errno
import re
import sys
import traceback
from pathlib import Path

from . import editor_schemas, load, output, pipeline, scaffold, source
from .problems import ContentError
from .render import Options
from .search import SearchIndexError

OK, CONTENT_ERRORS, USAGE, INTERNAL = 0, 1, 2, 3
REPORT_TO = "the issue tracker of the repository you got the portal from"


def parser() -> argparse.ArgumentParser:
    """The argument parser for all commands."""
    main = argparse.ArgumentParser(prog="build.py", description="Build the equality evidence portal.")
    main.add_argument("--debug", action="store_true", help="on an internal error, print the traceback")
    commands = main.add_subparsers(dest="command")
    build = commands.add_parser("build", help="build content/ into site/ (the default)")
    _content_args(build)
    build.add_argument("--out", type=Path, default=Path("site"), help="where to write the site (default: site)")
    build.add_argument("--base-url", default="/", type=base_url, help="the address the site is published at, such as "
                       "https://example.org/equality/ (default: /)")
    build.add_argument("--no-search", action="store_true", help="skip the search index")
    build.add_argument("--no-cache", action="store_true", help="build everything from scratch, without reading or "
                       "writing the cache folder .portal-cache/ beside the content folder")
    check = commands.add_parser("check", help="validate everything and write nothing")
    _content_args(check)
    check.add_argument("--strict", action="store_true", help="also report what editors commonly get wrong "
                       "and an accessibility audit would catch (for pull requests)")
    serve = commands.add_parser("serve", help="build, serve on 127.0.0.1 and rebuild on every change")
    _content_args(serve)
    serve.add_argument("--port", type=port, default=8000, help="the port to serve on (default: 8000)")
    new = commands.add_parser("new", help="write a new, valid content file and print its path")
    new.add_argument("kind", choices=["casestudy", "action", "progress"], help="what to create")
    new.add_argument("title", help="its title (for an action: its statement)")
    new.add_argument("--area", help="for an action: its performance area (default: the last action's)")
    _content_args(new)
    imported = commands.add_parser("import", help="turn a Word document (.docx) of case studies into case study files")
    imported.add_argument("file", type=Path, help="the Word document")
    imported.add_argument("--organisation", help="whose evidence it is: an organisation's id or name (default: the "
                          "source document's publisher, or the only organisation)")
    imported.add_argument("--source", help="the source document it is, a file name in content/sources/ without .md "
                          "(default: write a new one for it)")
    imported.add_argument("--dry-run", action="store_true", help="print what would be written, and write nothing")
    imported.add_argument("--force", action="store_true", help="replace files that already exist")
    _content_args(imported)
    schemas = commands.add_parser("schemas", help="write the JSON Schemas for front matter into schemas/")
    _content_args(schemas)
    schemas.add_argument("--out", type=Path, default=Path("schemas"), help="where to write them (default: schemas)")
    return main


PATH = r"/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*"  # what RFC 3986 allows in a path, unencoded
BASE_URL = re.compile(rf"https?://[A-Za-z0-9.-]+(:[0-9]+)?({PATH})?|{PATH}")


def base_url(value: str) -> str:
    """The --base-url argument: a path from the root of a host, or an http(s) address, and nothing a page could
    not put in a link as it is."""
    if not BASE_URL.fullmatch(value):
        raise argparse.ArgumentTypeError(f"{value[:60]!r} is not an address the site can be published at: write a "
                                         "path such as /equality/ or an address such as https://example.org/equality/")
    return value


def port(value: str) -> int:
    """The --port argument: a TCP port number."""
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise argparse.ArgumentTypeError(f"{value[:20]!r} is not a port: write a number from 1 to 65535, such as 8000")
    return int(value)


def _content_args(command: argparse.ArgumentParser) -> None:
    command.add_argument("--content", type=Path, default=Path("content"), help="the content folder (default: content)")
    command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                         help="on an internal error, print the traceback")


def main(argv: list[str] | None = None) -> int:
    """Run a command and return its exit status."""
    args_list = sys.argv[1:] if argv is None else argv
    try:
        args = parser().parse_args(args_list or ["build"])
        if args.command is None:
            args = parser().parse_args([*args_list, "build"])
    except SystemExit as exit_:
        return OK if exit_.code == 0 else USAGE
    if not args.content.is_dir():
        print(f"error: the content folder {args.content} does not exist: pass the folder that holds site.yaml, "
              "such as --content content", file=sys.stderr)
        return USAGE
    try:
        return _run(args)
    except ContentError as error:
        print(error.report(published=args.command == "build"), file=sys.stderr)
        return CONTENT_ERRORS
    except (output.RefusedFolder, output.WriteError) as error:
        print(f"error: {error}", file=sys.stderr)
        return USAGE
    except KeyboardInterrupt:
        return 130
    except Exception as error:  # noqa: BLE001 (a bug: one sentence, not a traceback, unless asked for)
        return _internal(error, args.debug)


def _internal(error: Exception, debug: bool) -> int:
    if debug:
        traceback.print_exc()
    what = "search indexing failed" if isinstance(error, SearchIndexError) else "an internal error stopped the portal"
    detail = " ".join(str(error).split())[:300]
    print(f"error: {what} ({type(error).__name__}: {detail}); this is not a problem in your content, and nothing was "
          f"published: please report it to {REPORT_TO}, with the command you ran"
          f"{'' if debug else ' and what it prints when run again with --debug'}.", file=sys.stderr)
    return INTERNAL


def _run(args: argparse.Namespace) -> int:
    if args.command == "check":
        paths = pipeline.Paths(args.content, Path("site"), cache=pipeline.default_cache(args.content))
        site = pipeline.check(paths, strict=args.strict)
        print(f"No problems found in {len(site.casestudies)} case studies and {len(site.actions)} actions"
              f"{' (strict)' if args.strict else ''}.")
        return OK
    if args.command == "new":
        return _new(args)
    if args.command == "import":
        from .importer import command
        return command(args)
    if args.command == "schemas":
        site = load.load(source.read_tree(args.content))
        args.out.mkdir(parents=True, exist_ok=True)
        for name, text in editor_schemas.files(site).items():
            (args.out / name).write_text(text, encoding="utf-8")
            print(args.out / name)
        return OK
    if args.command == "serve":
        from .serve import serve
        try:
            return serve(pipeline.Paths(args.content, Path("site")), args.port)
        except OSError as error:
            if error.errno not in (errno.EADDRINUSE, errno.EACCES):
                raise
            print(f"error: port {args.port} cannot be used ({error.strerror}): pass another, such as "
                  f"--port {8000 if args.port != 8000 else 8001}", file=sys.stderr)
            return USAGE
    paths = pipeline.Paths(args.content, args.out, cache=None if args.no_cache else pipeline.default_cache(args.content))
    built = pipeline.build_if_changed(paths, Options(args.base_url, not args.no_search))
    if built.skipped:
        print(f"Nothing has changed since the last build: {args.out}/ is up to date "
              f"({built.casestudies} case studies and {built.actions} actions).")
    else:
        print(f"Built {built.casestudies} case studies and {built.actions} actions into {args.out}/")
    return OK


def _new(args: argparse.Namespace) -> int:
    site = load.load(source.read_tree(args.content))
    if args.kind == "action":
        if args.area and args.area not in site.area_by_slug:
            print(f"error: unknown area '{args.area}' (known: {', '.join(site.area_by_slug)})", file=sys.stderr)
            return USAGE
        new = scaffold.action(site, args.title, args.area)
    else:
        new = scaffold.casestudy(site, args.title) if args.kind == "casestudy" else scaffold.progress(site, args.title)
    target = args.content / new.path
    if target.exists():
        print(f"error: {target} already exists", file=sys.stderr)
        return USAGE
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(new.text, encoding="utf-8")
    print(target)
    return OK
