"""The longer-running commands (chat, batch, eval): their options here, their work in
their own modules, imported only when the command runs so ``coachbot ask`` starts fast."""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from typing import Any


def _lazy(module: str) -> Callable[[argparse.Namespace], int]:
    def handler(args: argparse.Namespace) -> int:
        run: Callable[[argparse.Namespace], int] = importlib.import_module(f"coachbot.{module}").run
        return run(args)

    return handler


def register(sub: Any, data_options: Callable[[argparse.ArgumentParser], None]) -> None:
    chat = sub.add_parser("chat", help="interactive terminal chat")
    chat.add_argument("--no-history", action="store_true", help="do not save input history")
    chat.add_argument("--plain", action="store_true", help="no colour or formatting")
    data_options(chat)
    chat.set_defaults(handler=_lazy("chat"))

    batch = sub.add_parser("batch", help="answer a file of questions (txt, csv, jsonl or -)")
    batch.add_argument("input", metavar="INPUT", help="a .txt, .csv or .jsonl file, or - for stdin")
    batch.add_argument("-o", "--output", metavar="OUTPUT", help="output file (default: stdout)")
    batch.add_argument(
        "--format", choices=("jsonl", "csv"), help="output format (default: from -o, else jsonl)"
    )
    batch.add_argument(
        "--input-format",
        choices=("txt", "csv", "jsonl"),
        help="input format (default: from the extension)",
    )
    batch.add_argument(
        "--column", default="question", help="CSV column or JSONL key holding the question"
    )
    batch.add_argument(
        "--workers",
        default="auto",
        metavar="N|auto",
        help="processes to answer with (default: auto, one per core, at most 8)",
    )
    batch.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    batch.add_argument(
        "--keep-formulas",
        action="store_true",
        help="CSV output: write cells that start with = + - @ as they are (by default they get "
        "a leading ' so that a spreadsheet shows them as text instead of running them)",
    )
    data_options(batch)
    batch.set_defaults(handler=_lazy("batch"))

    evaluate = sub.add_parser("eval", help="accuracy report on a labelled question file")
    evaluate.add_argument("labelled", metavar="LABELLED.yaml")
    evaluate.add_argument("--json", action="store_true", help="machine-readable report")
    evaluate.add_argument(
        "--min-accuracy",
        type=float,
        default=0.0,
        help="exit 1 when overall accuracy is below this (0-1)",
    )
    data_options(evaluate)
    evaluate.set_defaults(handler=_lazy("evaluate"))
