"""The ``coachbot chat`` command: a conversation with the coach in a terminal.

Owns everything terminal-facing: reading lines (prompt-toolkit with history and completion on
a terminal, plain lines when piped), the slash commands, and how replies look (bold headings,
numbered suggestions, a banner above red-flag advice). The answers come from one ``Session``.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import sys
import textwrap
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TextIO

from prompt_toolkit import PromptSession, print_formatted_text
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.output import ColorDepth, Output, create_output
from prompt_toolkit.styles import Style
from rapidfuzz.distance import OSA

from .coach import Coach
from .dialogue import Session
from .errors import CoachbotError, UsageError
from .explain import explain
from .formatting import sources_text
from .models import Reply
from .normalize import words

COMMANDS = {
    "/help": "show these commands",
    "/exercises": "list the exercises I know",
    "/reset": "forget this conversation and start over",
    "/explain": "show why the last answer was chosen",
    "/sources": "show where the last answer's facts come from",
    "/quit": "leave (also /exit or Ctrl-D)",
}
QUIT = frozenset({"/quit", "/exit"})
WELCOME = """coachbot - an offline coach for posterior-chain exercises:
I know {count} of them (glute ham raises, Nordic curls, hip thrusts, bridges, hamstring curls...)
and can explain technique, sets and reps, easier or harder versions, where you should feel them,
and when a symptom needs a doctor.
Try:
- How do I do a Nordic curl?
- How many sets of hip thrusts should a beginner do?
- I feel glute ham raises in my lower back, why?
Type /help for commands, a number to pick a suggestion, Tab to complete, Ctrl-D to leave."""
GOODBYE = "Bye - train well, and stop if anything hurts."
STYLE = Style.from_dict(
    {
        "heading": "bold",
        "marker": "ansicyan",
        "banner": "bold ansired",
        "dim": "ansibrightblack",
        "prompt": "bold ansigreen",
    }
)
_STEP = re.compile(r"^(\s*(?:-|\d{1,2}\.)\s)(.*)$")
MAX_WIDTH = 100
"""Answers fold at the terminal's width, but no wider than this: long lines are hard to read."""
_TYPING_MIN = 3
"""While typing, only words this long offer completions (Tab offers them from one letter)."""

Fragments = list[tuple[str, str]]


def completion_phrases(coach: Coach) -> dict[str, str]:
    """Exercise names first, then the aliases (one spelling each, no misspellings: the finder
    keeps the others to understand people who type them, not to offer them), each mapped to
    the exercise it names."""
    names = sorted(ex.name for ex in coach.exercises.values())
    aliases = {a for ex in coach.exercises.values() for a in ex.aliases} | set(coach.finder.names())
    best = {spelling_key(n): n for n in names}
    for alias in sorted(aliases):
        old = best.get(spelling_key(alias))
        # Prefer separate words ("glute ham raise", not "gluteham raise"), then the singular.
        if (
            old is None
            or old not in names
            and (alias.count(" "), -len(alias)) > (old.count(" "), -len(old))
        ):
            best[spelling_key(alias)] = alias
    typos = misspelt_words(best.values())
    return {
        p: "" if p in names else meaning(coach, p)
        for p in best.values()
        if p in names or typos.isdisjoint(p.lower().split())
    }


def meaning(coach: Coach, alias: str) -> str:
    """The exercise name(s) an alias stands for, shown beside it in the completion menu."""
    mentions = coach.finder.find(words(alias)).mentions
    return " / ".join(coach.exercises[i].name for i in mentions[0].exercises) if mentions else ""


def spelling_key(phrase: str) -> str:
    """The same for every spelling of a phrase: case, spaces, hyphens and a plural s ignored."""
    return re.sub(r"[\s-]", "", phrase.lower()).removesuffix("s")


def misspelt_words(phrases: Iterable[str]) -> set[str]:
    """Words one slip away from a word the phrases use at least three times as often."""
    counts = Counter(w for p in phrases for w in p.split())

    def slip(word: str, other: str) -> bool:
        plural = other in (word + "s", word + "es") or word in (other + "s", other + "es")
        return word[0] == other[0] and not plural and OSA.distance(word, other) == 1

    return {
        w
        for w, n in counts.items()
        if len(w) > 3 and any(counts[o] >= 3 * n and slip(w, o) for o in counts)
    }


class ChatCompleter(Completer):
    """Completes slash commands, and exercise names or aliases for the words being typed."""

    def __init__(self, phrases: Mapping[str, str]) -> None:
        self.phrases = phrases
        """Phrase -> what it means (shown beside it)."""

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        before = document.text_before_cursor
        if before.lstrip().startswith("/") and " " not in before.strip():
            typed = before.strip()
            for command, what in COMMANDS.items():
                if command.startswith(typed.lower()):
                    yield Completion(command, start_position=-len(typed), display_meta=what)
            return
        if not before or before[-1].isspace():
            return
        tokens = list(re.finditer(r"\S+", before))
        shortest = 1 if complete_event.completion_requested else _TYPING_MIN
        seen: set[str] = set()
        # The longest fragment first, so "glute ha" offers "glute ham raise" before "ha..." words.
        for n in range(min(3, len(tokens)), 0, -1):
            start = tokens[-n].start()
            fragment = before[start:].lower()
            if len(fragment) < shortest:
                continue
            for phrase, meta in self.phrases.items():
                key = phrase.lower()
                if key.startswith(fragment) and key != fragment and key not in seen:
                    seen.add(key)
                    yield Completion(phrase, start - len(before), display_meta=meta)


class ChatApp:
    """One conversation: takes a line, prints what the coach says to ``out``."""

    def __init__(self, coach: Coach, out: TextIO, plain: bool = True, wrap: bool = False) -> None:
        self.coach = coach
        self.out = out
        self.wrap = wrap
        """Fold long lines at words to fit the terminal (its width is read at each reply)."""
        self.session: Session = coach.session()
        self.last_question: str | None = None
        self._output: Output | None = None if plain else create_output(stdout=out)

    # -- output ---------------------------------------------------------------------------
    def emit(self, fragments: Fragments) -> None:
        if self._output is None:
            self.out.write("".join(text for _, text in fragments))
            self.out.flush()
        else:
            print_formatted_text(FormattedText(fragments), end="", style=STYLE, output=self._output)

    def width(self) -> int | None:
        return min(shutil.get_terminal_size().columns, MAX_WIDTH) - 1 if self.wrap else None

    def say(self, text: str) -> None:
        self.emit([*format_text(text, self.width()), ("", "\n")])

    def show(self, reply: Reply) -> None:
        banner: Fragments = []
        if reply.red_flag is not None:
            severity = reply.red_flag.severity.replace("_", " ").upper()
            banner = [("class:banner", f"!!  SAFETY - {severity}  !!\n")]
        width = self.width()
        fragments = format_text(reply.text, width) + format_suggestions(reply.suggestions, width)
        self.emit([*banner, *fragments, ("", "\n")])

    def welcome(self) -> None:
        self.say(WELCOME.format(count=len(self.coach.exercises)))

    def goodbye(self) -> None:
        self.emit([("", GOODBYE + "\n")])

    # -- input ----------------------------------------------------------------------------
    def handle(self, line: str) -> bool:
        """Answer one line; False when the user asked to leave."""
        text = line.strip()
        if not text:
            return True
        if text.startswith("/"):
            return self.command(text.split()[0].lower())
        try:
            reply = self.session.ask(text)
        except CoachbotError as exc:  # a template that fails on this one answer
            self.emit([("class:banner", f"Sorry, I could not answer that: {exc}\n")])
            return True
        # The session reads "2", "the first one" or "yes" as the option it stands for; show
        # which, and let /explain explain that question.
        self.last_question = self.session.last_text
        if self.last_question and self.last_question != text:
            self.emit([("class:dim", f"-> {self.last_question}\n")])
        self.show(reply)
        return True

    def command(self, name: str) -> bool:
        if name in QUIT:
            return False
        if name == "/help":
            self.say("Commands:\n" + "\n".join(f"- {c}: {m}" for c, m in COMMANDS.items()))
        elif name == "/exercises":
            self.say(exercise_list(self.coach))
        elif name == "/reset":
            self.last_question = None
            self.show(self.session.reset())
        elif name == "/explain" and self.session.last_reply and self.last_question:
            self.say(explain(self.coach, self.last_question, self.session.last_reply))
        elif name == "/explain":
            self.say("Nothing to explain yet: ask me a question first.")
        elif name == "/sources" and self.session.last_reply:
            self.say(sources_text(self.coach.sources(self.session.last_reply)))
        elif name == "/sources":
            self.say("No answer yet: ask me a question first.")
        else:
            self.say(f"I don't know the command {name}. Type /help to see the commands.")
        return True


def format_text(text: str, width: int | None = None) -> Fragments:
    """Headings (a line ending in ':') in bold; list markers of bullets and steps coloured.
    With a ``width``, long lines fold at words, bullets and steps under their own text."""
    out: Fragments = []
    for line in text.splitlines():
        step = _STEP.match(line)
        marker, body = (step.group(1), step.group(2)) if step else ("", line)
        if width and len(line) > width:
            lines = textwrap.wrap(body, width - len(marker), break_on_hyphens=False)
            body = ("\n" + " " * len(marker)).join(lines)
        if marker:
            out.append(("class:marker", marker))
        heading = not marker and line.rstrip().endswith(":")
        out.append(("class:heading" if heading else "", body + "\n"))
    return out


def format_suggestions(suggestions: Iterable[str], width: int | None = None) -> Fragments:
    items = "\n".join(f"  {n}. {text}" for n, text in enumerate(suggestions, 1))
    if not items:
        return []
    return [
        ("", "\n"),
        ("class:dim", "You could ask (type the number):\n"),
        *format_text(items, width),
    ]


def exercise_list(coach: Coach) -> str:
    lines = [f"The {len(coach.exercises)} exercises I know:"]
    for ex in sorted(coach.exercises.values(), key=lambda e: e.name):
        # Plurals and hyphenated spellings add nothing to the list.
        name, keys = ex.name.lower().replace("-", " "), [a.replace("-", " ") for a in ex.aliases]
        others = list(dict.fromkeys(k for k in keys if k != name and k[:-1] not in {name, *keys}))
        lines.append(f"- {ex.name}" + (f" (also: {', '.join(others[:3])})" if others else ""))
    return "\n".join(lines)


# -- the loops --------------------------------------------------------------------------------
def make_history(no_history: bool) -> History:
    """History saved in ``$XDG_DATA_HOME/coachbot/history`` (by default
    ``~/.local/share/coachbot/history``), or in memory when saving is off or impossible."""
    if no_history:
        return InMemoryHistory()
    try:
        base = os.environ.get("XDG_DATA_HOME", "")
        root = Path(base) if Path(base).is_absolute() else Path.home() / ".local" / "share"
        path = root / "coachbot" / "history"
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Only the user may read it: people type their symptoms into a coach. (Made before
        # the first line is written, and tightened if an older version left it readable.)
        os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
    except (OSError, RuntimeError):  # RuntimeError: no home directory to be found
        return InMemoryHistory()
    return FileHistory(path)


def prompt_session(
    coach: Coach,
    history: History,
    *,
    plain: bool = False,
    input: Input | None = None,
    output: Output | None = None,
) -> PromptSession[str]:
    return PromptSession(
        history=history,
        completer=ChatCompleter(completion_phrases(coach)),
        auto_suggest=AutoSuggestFromHistory(),
        # Plain means no colour and no bold either (NO_COLOR, --plain).
        style=Style([]) if plain else STYLE,
        color_depth=ColorDepth.MONOCHROME if plain else None,
        input=input,
        output=output,
    )


def repl(app: ChatApp, prompt: PromptSession[str]) -> int:
    """Prompt until Ctrl-D or /quit; Ctrl-C drops the line being typed."""
    app.welcome()
    while True:
        try:
            line = prompt.prompt(FormattedText([("class:prompt", "you> ")]))
        except KeyboardInterrupt:
            continue
        except EOFError:
            break
        if not app.handle(line):
            break
    app.goodbye()
    return 0


def read_lines(app: ChatApp, lines: Iterable[str]) -> int:
    """Piped input: each line echoed and answered, until the end of input or /quit."""
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        app.emit([("", f"> {line}\n")])
        if not app.handle(line):
            break
    return 0


def run(args: argparse.Namespace) -> int:
    if sys.stdout is None or sys.stdin is None:
        raise UsageError("standard input or output is closed: the chat needs both")
    coach = Coach(knowledge=args.knowledge, intents=args.intents)
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    plain = args.plain or bool(os.environ.get("NO_COLOR")) or not interactive
    app = ChatApp(coach, sys.stdout, plain=plain, wrap=interactive)
    if not interactive:
        if isinstance(sys.stdin, io.TextIOWrapper):
            sys.stdin.reconfigure(errors="replace")  # a stray byte must not end the chat
        return read_lines(app, sys.stdin)
    return repl(app, prompt_session(coach, make_history(args.no_history), plain=plain))
