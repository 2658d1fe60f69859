"""The ``coachbot`` command: a thin layer over the library.

Every command is a few lines over a library call. Errors become one line on stderr and exit
status 2; nothing prints a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import CoachbotError, UsageError

if TYPE_CHECKING:
    from .coach import Coach


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # argparse prints usage plus a message; one line is friendlier and matches the contract.
        raise UsageError(f"{self.prog}: {message} (see --help)")


def _data_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--knowledge", metavar="DIR", help="knowledge folder (default: bundled)")
    parser.add_argument("--intents", metavar="DIR", help="intents folder (default: bundled)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="coachbot", description="An offline coach for posterior-chain exercises.")
    parser.add_argument("--version", action="version", version="coachbot 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    ask = sub.add_parser("ask", help="answer one question")
    ask.add_argument("question", nargs="+", help="the question (quote it, or several words)")
    ask.add_argument("--json", action="store_true", help="print the whole reply as JSON")
    ask.add_argument("--explain", action="store_true", help="also print why this answer was chosen")
    ask.add_argument(
        "--sources", action="store_true", help="also print where the answer's facts come from"
    )
    _data_options(ask)
    ask.set_defaults(handler=cmd_ask)

    check = sub.add_parser("check", help="validate the data files (file:line errors)")
    _data_options(check)
    check.set_defaults(handler=cmd_check)

    from . import commands

    commands.register(sub, _data_options)
    return parser


def _coach(args: argparse.Namespace) -> Coach:
    from .coach import Coach

    return Coach(knowledge=args.knowledge, intents=args.intents)


def cmd_ask(args: argparse.Namespace) -> int:
    coach = _coach(args)
    question = " ".join(args.question)
    reply = coach.ask(question)
    sources = coach.sources(reply) if args.sources else ()
    if args.json:
        out = reply.to_dict()
        if args.sources:
            out["sources"] = list(sources)
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(reply.text)
        if reply.suggestions:
            print("\nYou could ask: " + " | ".join(reply.suggestions))
        if args.sources:
            from .formatting import sources_text

            print("\n" + sources_text(sources))
    if args.explain:
        from .explain import explain

        sys.stdout.flush()  # (the answer first, also when both streams go to one pipe)
        for line in explain(coach, question, reply).splitlines():
            print(f"# {line}", file=sys.stderr)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from .check import check

    problems = check(args.knowledge, args.intents)
    # Decided before printing: "coachbot check | head" in CI must still fail on bad data.
    args.verdict = 2 if problems else 0
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} problem(s) found", file=sys.stderr)
        return 2
    print("data OK")
    return 0


def _silence_closed_pipes() -> None:
    """Point stdout and stderr at the null device, so that flushing them at exit cannot raise
    the broken pipe again as "Exception ignored ..." noise."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        # (A stream that is no real file, such as a test's capture, has nothing to flush.)
        with contextlib.suppress(OSError, ValueError):
            os.dup2(devnull, stream.fileno())
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    args: argparse.Namespace | None = None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            raise UsageError(
                'coachbot: no command given (try "coachbot chat", "coachbot ask QUESTION" '
                "or coachbot --help)"
            )
        return int(args.handler(args))
    except CoachbotError as exc:
        print(
            f"coachbot: {exc}" if not str(exc).startswith("coachbot") else str(exc), file=sys.stderr
        )
        return 2
    except KeyboardInterrupt:
        print("coachbot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader stopped early ("| head"): the output it wanted is out, and the verdict a
        # command had already reached (check, eval) stands.
        _silence_closed_pipes()
        return int(getattr(args, "verdict", 0))
    except OSError as exc:
        print(
            f"coachbot: {exc.strerror or exc}: {getattr(exc, 'filename', '') or ''}".rstrip(": "),
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
