"""The command line: build, check and serve; exit 0 on success, 1 on content errors, 2 on usage errors."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import pipeline
from .problems import ContentError
from .render import Options
from .search import SearchIndexError

OK, CONTENT_ERRORS, USAGE = 0, 1, 2


def parser() -> argparse.ArgumentParser:
    """The argument parser for all commands."""
    main = argparse.ArgumentParser(prog="build.py", description="Build the equality evidence portal.")
    commands = main.add_subparsers(dest="command")
    build = commands.add_parser("build", help="build content/ into site/ (the default)")
    _content_args(build)
    build.add_argument("--out", type=Path, default=Path("site"), help="where to write the site (default: site)")
    build.add_argument("--base-url", default="/", help="the address the site is published at, such as "
                       "https://example.org/equality/ (default: /)")
    build.add_argument("--no-search", action="store_true", help="skip the search index")
    check = commands.add_parser("check", help="validate everything and write nothing")
    _content_args(check)
    serve = commands.add_parser("serve", help="build, serve on 127.0.0.1 and rebuild on every change")
    _content_args(serve)
    serve.add_argument("--port", type=int, default=8000, help="the port to serve on (default: 8000)")
    return main


def _content_args(command: argparse.ArgumentParser) -> None:
    command.add_argument("--content", type=Path, default=Path("content"), help="the content folder (default: content)")


def main(argv: list[str] | None = None) -> int:
    """Run a command and return its exit status."""
    args_list = sys.argv[1:] if argv is None else argv
    try:
        args = parser().parse_args(args_list or ["build"])
    except SystemExit as exit_:
        return OK if exit_.code == 0 else USAGE
    if args.command is None:
        args = parser().parse_args(["build", *args_list])
    if not args.content.is_dir():
        print(f"error: the content folder {args.content} does not exist", file=sys.stderr)
        return USAGE
    try:
        return _run(args)
    except ContentError as error:
        print(error.report(), file=sys.stderr)
        return CONTENT_ERRORS
    except SearchIndexError as error:
        print(f"error: {error}", file=sys.stderr)
        return CONTENT_ERRORS


def _run(args: argparse.Namespace) -> int:
    if args.command == "check":
        site = pipeline.check(pipeline.Paths(args.content, Path("site")))
        print(f"No problems found in {len(site.casestudies)} case studies and {len(site.actions)} actions.")
        return OK
    if args.command == "serve":
        from .serve import serve
        return serve(pipeline.Paths(args.content, Path("site")), args.port)
    site = pipeline.build(pipeline.Paths(args.content, args.out), Options(args.base_url, not args.no_search))
    print(f"Built {len(site.casestudies)} case studies and {len(site.actions)} actions into {args.out}/")
    return OK
