"""``coachbot eval``: how well the coach answers a labelled file, as a ``Report``.

The file is YAML, ``version: 1``, with either section or both:

    questions:                          # intent and exercise accuracy
      - q: how many sets of nordics
        intent: sets_reps               # null: out of scope, the coach must not answer
        exercise: nordic-hamstring-curl # the exercise named (the first one), or null
    messages:                           # red-flag triage (the format of tests/data/safety_set.yaml)
      - text: crushing pain in my chest after nordics
        severity: emergency             # emergency | urgent | see_professional | null (none)
        category: chest_pain            # optional
        kind: red_flag                  # optional: red_flag, benign, negated, historical, ...

A question counts as right when both its intent and its exercise are right. ``evaluate`` is
pure (coach and items in, frozen ``Report`` out); ``format_report`` renders it for people,
``Report.to_dict`` for machines. ``run`` is the command: exit 1 below ``--min-accuracy``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import schema
from .coach import Coach
from .errors import DataError, DataErrors, UsageError
from .loader import display_path, read_yaml
from .models import SEVERITIES
from .schema import LocatedDict, line_of

TOP_CONFUSIONS = 10
NONE = "(none)"
"""How a missing intent, exercise or severity is shown in the text report."""

_QUESTION = schema.Obj(
    required={"q": schema.Text()}, optional={"intent": schema.Text(), "exercise": schema.Text()}
)
_MESSAGE = schema.Obj(
    required={"text": schema.Text()},
    optional={
        "severity": schema.Choice(SEVERITIES),
        "category": schema.Text(),
        "kind": schema.Text(),
    },
)
_FILE = schema.Obj(
    required={"version": schema.Version()},
    optional={"questions": schema.ListOf(_QUESTION), "messages": schema.ListOf(_MESSAGE)},
)


# -- records ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Labelled:
    """A question and the intent and exercise the coach should find."""

    q: str
    intent: str | None
    exercise: str | None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class SafetyCase:
    """A message and the red-flag severity the coach should return (None: no red flag)."""

    text: str
    severity: str | None
    category: str | None = None
    kind: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Miss:
    q: str
    intent: str | None
    got_intent: str | None
    exercise: str | None
    got_exercise: str | None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class IntentScore:
    intent: str
    precision: float
    recall: float
    f1: float
    support: int
    """How many questions carry this intent."""
    predicted: int
    """How many questions the coach gave this intent."""


@dataclass(frozen=True, slots=True)
class Confusion:
    intent: str | None
    got: str | None
    count: int


@dataclass(frozen=True, slots=True)
class SafetyMiss:
    text: str
    severity: str | None
    got_severity: str | None
    category: str | None
    got_category: str | None
    kind: str | None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class KindScore:
    kind: str
    messages: int
    right: int
    """Messages whose severity (or absence of one) came out exactly as labelled."""


@dataclass(frozen=True, slots=True)
class SafetyReport:
    messages: int
    red_flags: int
    """Messages labelled with a severity."""
    caught: int
    """Of those, how many got a red flag at all."""
    exact: int
    """Of those, how many got exactly the labelled severity."""
    category_right: int
    """Of those labelled with a category, how many got that category."""
    categorised: int
    benign: int
    """Messages labelled with no severity."""
    false_alarms: int
    by_kind: tuple[KindScore, ...]
    misses: tuple[SafetyMiss, ...]

    @property
    def recall(self) -> float:
        return _share(self.caught, self.red_flags)

    @property
    def false_alarm_rate(self) -> float:
        return _share(self.false_alarms, self.benign)


@dataclass(frozen=True, slots=True)
class Report:
    questions: int
    correct: int
    """Intent and exercise both right."""
    intent_correct: int
    out_of_scope: int
    """Questions labelled with no intent."""
    rejected: int
    """Of those, how many the coach declined (intent None)."""
    per_intent: tuple[IntentScore, ...]
    confusions: tuple[Confusion, ...]
    misses: tuple[Miss, ...]
    safety: SafetyReport | None = None

    @property
    def accuracy(self) -> float:
        return _share(self.correct, self.questions)

    @property
    def intent_accuracy(self) -> float:
        return _share(self.intent_correct, self.questions)

    @property
    def rejection_rate(self) -> float:
        return _share(self.rejected, self.out_of_scope)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types: every field, plus the rates."""
        out = asdict(self)
        out.update(
            accuracy=round(self.accuracy, 4),
            intent_accuracy=round(self.intent_accuracy, 4),
            rejection_rate=round(self.rejection_rate, 4),
        )
        if self.safety is not None:
            out["safety"].update(
                recall=round(self.safety.recall, 4),
                false_alarm_rate=round(self.safety.false_alarm_rate, 4),
            )
        return out


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


# -- evaluation ------------------------------------------------------------------------------
def evaluate(coach: Coach, items: Sequence[Labelled], safety: Sequence[SafetyCase] = ()) -> Report:
    """Ask the coach every question (and safety message) and score the answers."""
    got = [coach.ask(item.q) for item in items]
    correct = intent_correct = out_of_scope = rejected = 0
    misses: list[Miss] = []
    confusions: Counter[tuple[str | None, str | None]] = Counter()
    for item, reply in zip(items, got, strict=True):
        intent_ok = reply.intent == item.intent
        intent_correct += intent_ok
        if item.intent is None:
            out_of_scope += 1
            rejected += reply.intent is None
        if intent_ok and reply.exercise == item.exercise:
            correct += 1
            continue
        if not intent_ok:
            confusions[(item.intent, reply.intent)] += 1
        misses.append(
            Miss(item.q, item.intent, reply.intent, item.exercise, reply.exercise, item.line)
        )
    top = sorted(confusions.items(), key=lambda kv: (-kv[1], str(kv[0])))[:TOP_CONFUSIONS]
    return Report(
        questions=len(items),
        correct=correct,
        intent_correct=intent_correct,
        out_of_scope=out_of_scope,
        rejected=rejected,
        per_intent=_per_intent([i.intent for i in items], [r.intent for r in got]),
        confusions=tuple(Confusion(want, have, n) for (want, have), n in top),
        misses=tuple(misses),
        safety=_safety(coach, safety) if safety else None,
    )


def _per_intent(
    expected: Sequence[str | None], got: Sequence[str | None]
) -> tuple[IntentScore, ...]:
    labels = sorted({i for i in (*expected, *got) if i is not None})
    scores = []
    for label in labels:
        hits = sum(1 for e, g in zip(expected, got, strict=True) if e == g == label)
        support, predicted = expected.count(label), got.count(label)
        precision, recall = _share(hits, predicted), _share(hits, support)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores.append(
            IntentScore(
                label, round(precision, 4), round(recall, 4), round(f1, 4), support, predicted
            )
        )
    return tuple(scores)


def _safety(coach: Coach, cases: Sequence[SafetyCase]) -> SafetyReport:
    red_flags = caught = exact = category_right = categorised = benign = false_alarms = 0
    misses: list[SafetyMiss] = []
    kinds: dict[str, list[int]] = {}
    for case in cases:
        flag = coach.ask(case.text).red_flag
        severity = flag.severity if flag else None
        category = flag.category if flag else None
        right = severity == case.severity
        tally = kinds.setdefault(case.kind or NONE, [0, 0])
        tally[0] += 1
        tally[1] += right
        if case.severity is None:
            benign += 1
            false_alarms += flag is not None
        else:
            red_flags += 1
            caught += flag is not None
            exact += right
            if case.category is not None:
                categorised += 1
                category_right += category == case.category
        if not right or (case.category is not None and category != case.category):
            misses.append(
                SafetyMiss(
                    case.text,
                    case.severity,
                    severity,
                    case.category,
                    category,
                    case.kind,
                    case.line,
                )
            )
    return SafetyReport(
        messages=len(cases),
        red_flags=red_flags,
        caught=caught,
        exact=exact,
        category_right=category_right,
        categorised=categorised,
        benign=benign,
        false_alarms=false_alarms,
        by_kind=tuple(KindScore(k, n, r) for k, (n, r) in sorted(kinds.items())),
        # Wrong severities first: a wrong category under the right severity matters less.
        misses=tuple(sorted(misses, key=lambda m: m.got_severity == m.severity)),
    )


# -- the labelled file -----------------------------------------------------------------------
def load(path: Path, coach: Coach) -> tuple[list[Labelled], list[SafetyCase]]:
    """The questions and safety messages of a labelled file; ``DataErrors`` lists every problem."""
    name = display_path(path)
    document = read_yaml(path)
    errors = schema.validate(document, _FILE, name)
    if errors:
        raise DataErrors(errors)
    questions, messages = document.get("questions") or [], document.get("messages") or []
    if not questions and not messages:
        raise DataError(name, line_of(document), "", "no questions and no messages to evaluate")
    items = [_labelled(q, line_of(questions, i)) for i, q in enumerate(questions)]
    for index, (item, raw) in enumerate(zip(items, questions, strict=True)):
        errors.extend(_check_labels(item, raw, coach, name, index))
    if errors:
        raise DataErrors(errors)
    cases = [
        SafetyCase(
            str(m["text"]),
            m.get("severity"),
            m.get("category"),
            m.get("kind"),
            line_of(messages, i),
        )
        for i, m in enumerate(messages)
    ]
    return items, cases


def _labelled(raw: LocatedDict, line: int | None) -> Labelled:
    return Labelled(str(raw["q"]), raw.get("intent"), raw.get("exercise"), line)


def _check_labels(
    item: Labelled, raw: LocatedDict, coach: Coach, name: str, index: int
) -> list[DataError]:
    where = f"questions[{index}]"
    problems = []
    for key in ("intent", "exercise"):
        if key not in raw:
            problems.append(
                DataError(
                    name,
                    item.line,
                    where,
                    f"missing '{key}' (write {key}: null when there is none)",
                )
            )
    if item.intent is not None and item.intent not in coach.intents:
        problems.append(
            DataError(
                name,
                line_of(raw, "intent"),
                f"{where}.intent",
                f"unknown intent id '{item.intent}'",
            )
        )
    if item.exercise is not None and item.exercise not in coach.exercises:
        problems.append(
            DataError(
                name,
                line_of(raw, "exercise"),
                f"{where}.exercise",
                f"unknown exercise id '{item.exercise}'",
            )
        )
    return problems


# -- the text report -------------------------------------------------------------------------
def _pct(value: float) -> str:
    return f"{value * 100:5.1f}%"


def _rate(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage, or "n/a" when there is nothing to count."""
    return _pct(part / whole) if whole else "   n/a"


def _counted(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _show(value: str | None) -> str:
    return NONE if value is None else value


def format_report(report: Report, name: str = "") -> str:
    """The report as plain text for a terminal."""
    lines: list[str] = []
    if report.questions:
        lines += _questions_section(report, name)
    if report.safety is not None:
        lines += _safety_section(report.safety)
    return "\n".join(lines).rstrip() + "\n"


def _questions_section(report: Report, name: str) -> list[str]:
    lines = [
        f"{name or 'labelled questions'}: {_counted(report.questions, 'question')}",
        f"  overall accuracy    {_pct(report.accuracy)}  ({report.correct}/{report.questions})"
        "  intent and exercise both right",
        f"  intent accuracy     {_pct(report.intent_accuracy)}  "
        f"({report.intent_correct}/{report.questions})",
    ]
    if report.out_of_scope:
        lines.append(
            f"  out-of-scope        {_pct(report.rejection_rate)}  "
            f"({report.rejected}/{report.out_of_scope} declined)"
        )
    lines += ["", f"  {'intent':<22} {'precision':>9} {'recall':>7} {'F1':>6} {'n':>4} {'got':>4}"]
    lines += [
        f"  {s.intent:<22} {s.precision:>9.2f} {s.recall:>7.2f} {s.f1:>6.2f} {s.support:>4} "
        f"{s.predicted:>4}"
        for s in report.per_intent
    ]
    if report.confusions:
        lines += ["", "  most frequent confusions (labelled -> got):"]
        lines += [f"  {c.count:>4}  {_show(c.intent)} -> {_show(c.got)}" for c in report.confusions]
    if report.misses:
        lines += ["", f"  misses ({len(report.misses)}):"]
        for m in report.misses:
            wrong = []
            if m.got_intent != m.intent:
                wrong.append(f"intent {_show(m.intent)} -> {_show(m.got_intent)}")
            if m.got_exercise != m.exercise:
                wrong.append(f"exercise {_show(m.exercise)} -> {_show(m.got_exercise)}")
            where = f"line {m.line}: " if m.line else ""
            lines.append(f"  {where}{m.q!r}: {'; '.join(wrong)}")
    return [*lines, ""]


def _safety_section(safety: SafetyReport) -> list[str]:
    lines = [
        f"red flags: {_counted(safety.messages, 'message')}",
        f"  recall              {_rate(safety.caught, safety.red_flags)}  "
        f"({safety.caught}/{safety.red_flags} red flags caught)",
        f"  exact severity      {_rate(safety.exact, safety.red_flags)}  "
        f"({safety.exact}/{safety.red_flags})",
    ]
    if safety.categorised:
        lines.append(
            f"  right category      {_pct(_share(safety.category_right, safety.categorised))}"
            f"  ({safety.category_right}/{safety.categorised})"
        )
    lines.append(
        f"  false alarms        {_rate(safety.false_alarms, safety.benign)}  "
        f"({safety.false_alarms}/{safety.benign} messages with no red flag)"
    )
    lines += ["", f"  {'kind':<22} {'right':>7} {'n':>5}"]
    lines += [
        f"  {k.kind:<22} {_pct(_share(k.right, k.messages)):>7} {k.messages:>5}"
        for k in safety.by_kind
    ]
    if safety.misses:
        severity = sum(1 for m in safety.misses if m.got_severity != m.severity)
        lines += [
            "",
            f"  misses ({severity} wrong severity, "
            f"{len(safety.misses) - severity} right severity but wrong category):",
        ]
        for m in safety.misses:
            where = f"line {m.line}: " if m.line else ""
            label = f"{_show(m.severity)}/{_show(m.category)}"
            got = f"{_show(m.got_severity)}/{_show(m.got_category)}"
            lines.append(f"  {where}{m.text!r}: {label} -> {got} ({_show(m.kind)})")
    return [*lines, ""]


# -- the command -----------------------------------------------------------------------------
def run(args: argparse.Namespace) -> int:
    minimum = float(args.min_accuracy)
    if not 0.0 <= minimum <= 1.0:
        raise UsageError(
            f"--min-accuracy must be between 0 and 1 (got {minimum:g}; write 0.85 for 85%)"
        )
    coach = Coach(knowledge=args.knowledge, intents=args.intents)
    path = Path(args.labelled)
    try:
        items, cases = load(path, coach)
    except DataErrors as exc:  # the labelled file is the user's own: show every problem in it
        args.verdict = 2  # (decided before printing, as below)
        for problem in exc.errors:
            print(f"coachbot: {problem}", file=sys.stderr)
        return 2
    if minimum > 0 and not items:
        raise UsageError(f"--min-accuracy needs labelled questions, and {path} has none")
    report = evaluate(coach, items, cases)
    # Decided before printing: a reader that stops early must not turn a failure into success.
    args.verdict = 1 if report.accuracy < minimum else 0
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        print(format_report(report, display_path(path)), end="")
    if args.verdict:
        print(
            f"coachbot eval: accuracy {report.accuracy:.1%} is below the minimum {minimum:.1%}",
            file=sys.stderr,
        )
    return int(args.verdict)
