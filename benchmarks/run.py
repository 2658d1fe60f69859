"""Run every coachbot benchmark and print one table.

    python3 benchmarks/run.py [--questions 100000] [--repeat 1] [--skip-unique] [--skip-baseline]

Measures: cold start of ``coachbot ask``; ``Coach()`` load time; ``ask()`` p50/p99 on the
labelled questions with the bundled data and with ten times as much synthetic data; batch
throughput with 1 and 2 workers on a repetitive and a mostly-unique question file (wall time
of the whole command, start-up included; the fastest of ``--repeat`` runs, since a shared
machine only ever slows a run down) with each run's peak memory; and, side by side,
a scikit-learn TF-IDF + LinearSVC intent classifier (``benchmarks/baseline.py``) on speed and
intent-only accuracy. Timings share the machine with whatever else runs on it: compare rows
of one run with each other rather than with another machine's.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from benchmarks import baseline, questions, synthetic  # noqa: E402
from coachbot import Coach  # noqa: E402
from coachbot.batch import answer_many, cache_key  # noqa: E402
from coachbot.evaluate import Labelled, evaluate  # noqa: E402

LABELLED = ROOT / "tests" / "data" / "labelled.yaml"
Row = tuple[str, str, str]


# -- measuring -------------------------------------------------------------------------------
def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs" if seconds < 0.01 else f"{seconds * 1e3:,.1f} ms"


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def latencies(ask: Callable[[str], object], texts: Sequence[str], passes: int = 3) -> list[float]:
    """Seconds per call, after one untimed warm-up pass (caches filled, imports done)."""
    for text in texts:
        ask(text)
    times = []
    for _ in range(passes):
        for text in texts:
            start = time.perf_counter()
            ask(text)
            times.append(time.perf_counter() - start)
    return times


# Runs the command in-process and reports its own peak memory on the last stderr line. The
# wait4/getrusage figure for a child would include the benchmark process itself, copied at
# fork time; VmHWM counts the child's own address space only.
PEAK = """
import resource, sys
from coachbot.cli import main
code = main(sys.argv[1:])
try:
    with open("/proc/self/status") as f:
        peak = next(int(l.split()[1]) for l in f if l.startswith("VmHWM"))
except OSError:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    peak //= 1024 if sys.platform == "darwin" else 1
print(peak, file=sys.stderr)
sys.exit(code)
"""


def run_child(args: Sequence[str]) -> tuple[float, int, int]:
    """(wall seconds, peak RSS of the main process in KiB, exit status) of a coachbot command."""
    start = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-c", PEAK, *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wall = time.perf_counter() - start
    last = child.stderr.strip().splitlines()[-1:] or ["0"]
    return wall, int(last[0]) if last[0].isdigit() else 0, child.returncode


def labelled() -> list[Labelled]:
    doc = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))
    return [Labelled(str(q["q"]), q.get("intent"), q.get("exercise")) for q in doc["questions"]]


# -- the benchmarks --------------------------------------------------------------------------
def cold_start() -> list[Row]:
    argv = [sys.executable, "-m", "coachbot", "ask", "how many sets of nordics"]
    walls = [
        timed(lambda: subprocess.run(argv, cwd=ROOT, capture_output=True, check=True))
        for _ in range(5)
    ]
    return [("cold start: coachbot ask (wall)", us(statistics.median(walls)), "median of 5")]


LOAD = (
    "import sys, time; from coachbot import Coach; t = time.perf_counter(); "
    "Coach(*sys.argv[1:]); print(time.perf_counter() - t)"
)


def load_time(knowledge: Path | None, intents: Path | None) -> float:
    """``Coach()`` in a fresh process (imports done first), median of 3."""
    extra = [str(knowledge), str(intents)] if knowledge and intents else []
    argv = [sys.executable, "-c", LOAD, *extra]
    runs = [
        subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=True) for _ in range(3)
    ]
    return statistics.median(float(r.stdout) for r in runs)


def coach_rows(name: str, coach: Coach, load: float, texts: Sequence[str]) -> list[Row]:
    times = latencies(coach.ask, texts)
    examples = sum(len(i.examples) for i in coach.intents.values())
    p50, p99 = percentile(times, 0.5), percentile(times, 0.99)
    return [
        (
            f"Coach() load ({name})",
            us(load),
            f"fresh process, median of 3; {len(coach.exercises)} exercises, {examples:,} examples",
        ),
        (
            f"ask() p50 / p99 ({name})",
            f"{us(p50)} / {us(p99)}",
            f"{len(texts)} labelled questions x 3, after a warm-up pass",
        ),
    ]


def batch_rows(count: int, kinds: Sequence[str], folder: Path, repeat: int = 1) -> list[Row]:
    rows: list[Row] = []
    for kind in kinds:
        source = folder / f"{kind}.txt"
        texts = questions.generate(kind, count)
        source.write_text("\n".join(texts) + "\n", encoding="utf-8")
        distinct = len({cache_key(t) for t in texts})
        outputs = []
        for workers in (1, 2):
            out = folder / f"{kind}-{workers}.jsonl"
            argv = [
                "batch",
                str(source),
                "-o",
                str(out),
                "--quiet",
                "--workers",
                str(workers),
            ]
            runs = []
            for _ in range(max(1, repeat)):
                wall, rss, code = run_child(argv)
                digest = hashlib.sha256(out.read_bytes()).hexdigest() if code == 0 else ""
                runs.append((code != 0, wall, rss, code, digest))
            # The fastest run that succeeded (a failed one is shown if all failed); every
            # run must have written the same output.
            _, wall, rss, code, digest = min(runs)
            outputs.append(digest if len({r[4] for r in runs}) == 1 else "")
            rows.append(
                (
                    f"batch {kind}, {workers} worker{'s' if workers > 1 else ''}",
                    f"{count / wall:,.0f} q/s",
                    f"{count:,} questions ({distinct:,} distinct) in {wall:.1f}s, "
                    f"main process peak {rss / 1024:.0f} MiB"
                    + ("" if code == 0 else f", exit {code}"),
                )
            )
        same = "identical" if outputs[0] and outputs[0] == outputs[1] else "DIFFERENT"
        rows[-1] = (*rows[-1][:2], rows[-1][2] + f", output {same} to 1 worker")
    return rows


def baseline_rows(coach: Coach, items: Sequence[Labelled], coach_single: float) -> list[Row]:
    texts = [i.q for i in items]
    start = time.perf_counter()
    replies = list(answer_many(coach, texts))
    coach_batched = (time.perf_counter() - start) / len(texts)
    coach_accuracy = evaluate(coach, items).intent_accuracy
    rows: list[Row] = [
        ("coachbot intent accuracy", f"{coach_accuracy:.1%}", f"{LABELLED.name}, intent only"),
        (
            "coachbot per question: single / batched",
            f"{us(coach_single)} / {us(coach_batched)}",
            f"ask() p50 / answer_many over {len(replies)} distinct questions",
        ),
    ]
    if not baseline.available():
        return [
            *rows,
            (
                "scikit-learn baseline",
                "skipped",
                "scikit-learn is not installed (pip install scikit-learn)",
            ),
        ]
    train_texts, labels = baseline.training_set()
    model = baseline.build()
    train = timed(lambda: model.fit(train_texts, labels))
    predicted = [baseline.intent_of(str(p)) for p in model.predict(texts)]
    accuracy = sum(p == i.intent for p, i in zip(predicted, items, strict=True)) / len(items)
    single = latencies(lambda t: model.predict([t]), texts[:100], passes=1)
    batched = min(timed(lambda: model.predict(texts)) for _ in range(3)) / len(texts)
    return [
        *rows,
        (
            "TF-IDF + LinearSVC intent accuracy",
            f"{accuracy:.1%}",
            f"trained on {len(train_texts):,} examples in {train:.2f}s; intent only",
        ),
        (
            "TF-IDF + LinearSVC per question: single / batched",
            f"{us(percentile(single, 0.5))} / {us(batched)}",
            f"predict([q]) p50 / predict(all {len(texts)}) per question",
        ),
    ]


# -- the table -------------------------------------------------------------------------------
def machine() -> str:
    return (
        f"{platform.platform()} | {os.cpu_count()} CPUs | "
        f"{platform.processor() or platform.machine()} | "
        f"Python {platform.python_version()} ({platform.python_implementation()})"
    )


def table(rows: Sequence[Row]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(2)]
    head = f"{'benchmark':<{widths[0]}}  {'result':>{widths[1]}}  notes"
    lines = [head, "-" * len(head)]
    lines += [f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c}" for a, b, c in rows]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=100_000, help="batch file size")
    parser.add_argument(
        "--repeat", type=int, default=1, help="batch runs of each kind; the fastest is shown"
    )
    parser.add_argument(
        "--skip-unique", action="store_true", help="skip the slow mostly-unique batch file"
    )
    parser.add_argument("--skip-baseline", action="store_true", help="skip scikit-learn")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}", flush=True)
    items = labelled()
    texts = [i.q for i in items]
    rows = cold_start()
    coach = Coach()
    rows += coach_rows("bundled data", coach, load_time(None, None), texts)
    single = percentile(latencies(coach.ask, texts, passes=1), 0.5)
    with tempfile.TemporaryDirectory() as tmp:
        knowledge, intents = synthetic.scale(Path(tmp) / "x10")
        big = Coach(knowledge=knowledge, intents=intents)
        rows += coach_rows("10x data", big, load_time(knowledge, intents), texts)
        del big
        kinds = ("repetitive",) if args.skip_unique else ("repetitive", "unique")
        rows += batch_rows(args.questions, kinds, Path(tmp), args.repeat)
    if not args.skip_baseline:
        rows += baseline_rows(coach, items, single)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows.append(
        (
            "peak memory, this process",
            f"{peak / 1024:.0f} MiB",
            "ru_maxrss: bundled and 10x coaches, question lists"
            + ("" if args.skip_baseline else ", baseline model"),
        )
    )
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
