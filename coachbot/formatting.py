"""Renderings of a reply's plain text for chat platforms, and splitting under size limits.

``Reply.text`` is plain text with a few conventions:

- a line ending in ``:`` on its own is a heading (``Nordic hamstring curl, step by step:``);
- ``- `` starts a bullet and ``1. `` a numbered step, one per line;
- blank lines separate blocks.

Everything here is a pure function of that text:

>>> print(to_html("Cues:\\n- Hips <up> & squeeze"))
<b>Cues:</b>
• Hips &lt;up&gt; &amp; squeeze
>>> split_message("one two three", 8)
['one two', 'three']
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from .errors import UsageError

Kind = Literal["heading", "bullet", "step", "text", "blank"]

_BULLET = re.compile(r"^\s*[-•]\s+(?P<body>.*)$")
_STEP = re.compile(r"^\s*(?P<number>\d{1,3})[.)]\s+(?P<body>.*)$")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_])")
_MARKDOWN_LINE_START = re.compile(r"^(\s*)([#>+]|[-=]+(?=\s*$)|\d+[.)](?=\s))")
_MARKDOWN_V2_SPECIAL = re.compile(r"([_*\[\]()~`>#+\-=|{}.!\\])")


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a reply, classified by the conventions above."""

    kind: Kind
    body: str
    """The line without its bullet or number marker."""
    number: str = ""


def parse(text: str) -> tuple[Line, ...]:
    """Classify every line of ``text``."""
    return tuple(_classify(line) for line in text.replace("\r\n", "\n").split("\n"))


def _classify(line: str) -> Line:
    stripped = line.strip()
    if not stripped:
        return Line("blank", "")
    if bullet := _BULLET.match(line):
        return Line("bullet", bullet["body"].strip())
    if step := _STEP.match(line):
        return Line("step", step["body"].strip(), step["number"])
    if stripped.endswith(":"):
        return Line("heading", stripped)
    return Line("text", stripped)


def _join(lines: Iterable[str]) -> str:
    return "\n".join(lines).strip("\n")


# -- renderings -----------------------------------------------------------------------------
def to_markdown(text: str) -> str:
    """CommonMark-style Markdown: bold headings, ``- `` bullets, ``1.`` steps.

    Only characters that would otherwise turn into formatting are escaped. A blank line is
    added after a list when plain text follows, so the text does not join the last item.
    """
    out: list[str] = []
    previous: Kind = "blank"
    for line in parse(text):
        if line.kind == "text" and previous in ("bullet", "step"):
            out.append("")
        if line.kind == "heading":
            out.append(f"**{_markdown_escape(line.body)}**")
        elif line.kind == "bullet":
            out.append(f"- {_markdown_escape(line.body)}")
        elif line.kind == "step":
            out.append(f"{line.number}. {_markdown_escape(line.body)}")
        elif line.kind == "text":
            out.append(_MARKDOWN_LINE_START.sub(r"\1\\\2", _markdown_escape(line.body)))
        else:
            out.append("")
        previous = line.kind
    return _join(out)


def _markdown_escape(body: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", body)


def _render(text: str, escape: Callable[[str], str], shapes: Mapping[str, str]) -> str:
    """Each line escaped, then shaped by its kind (``{body}``, ``{number}``)."""
    return _join(
        shapes.get(line.kind, "{body}").format(body=escape(line.body), number=line.number)
        for line in parse(text)
    )


def _html_escape(body: str) -> str:
    return html.escape(body, quote=False)


def to_html(text: str) -> str:
    """HTML for Telegram's ``parse_mode="HTML"`` subset: ``<b>`` headings, "• " bullets.

    Telegram keeps newlines and has no list tags, so lists stay one item per line.
    """
    shapes = {"heading": "<b>{body}</b>", "bullet": "• {body}", "step": "{number}. {body}"}
    return _render(text, _html_escape, shapes)


def to_telegram_markdown_v2(text: str) -> str:
    """Telegram ``parse_mode="MarkdownV2"``: every reserved character escaped, bold headings."""
    shapes = {"heading": "*{body}*", "bullet": "• {body}", "step": "{number}\\. {body}"}
    return _render(text, lambda body: _MARKDOWN_V2_SPECIAL.sub(r"\\\1", body), shapes)


def to_slack_mrkdwn(text: str) -> str:
    """Slack ``mrkdwn``: ``*bold*`` headings, "• " bullets; ``&``, ``<`` and ``>`` escaped."""
    shapes = {"heading": "*{body}*", "bullet": "• {body}", "step": "{number}. {body}"}
    return _render(text, _html_escape, shapes)


# -- splitting ------------------------------------------------------------------------------
_BLOCK_BREAK = re.compile(r"\n[^\S\n]*\n")
_LINE_BREAK = re.compile(r"\n")
_WORD_BREAK = re.compile(r"[^\S\n]+")


def sources_text(sources: Iterable[str]) -> str:
    """``Coach.sources(reply)`` as a block in the same plain-text conventions."""
    items = [f"- {source}" for source in sources]
    if not items:
        return "Sources: none for this answer (it draws on no exercise's facts)."
    return "\n".join(["Sources:", *items])


def split_message(text: str, limit: int, *, size: Callable[[str], int] = len) -> list[str]:
    """Cut ``text`` into chunks that each measure at most ``limit``, for platforms that cap
    a message's length (Telegram 4096, Discord 2000, Slack 4000 characters).

    Cuts at the last block break (blank line) that fits; failing that, the last line break
    (so list items stay whole); failing that, the last space; a single word longer than the
    limit is cut as a last resort. Chunks are stripped and never empty; their words, in
    order, are the words of ``text``. ``size`` measures a chunk as it will be sent, e.g.
    ``lambda chunk: len(to_html(chunk))``, so a rendered chunk also fits.
    """
    if limit < 1:
        raise UsageError(f"a message size limit must be at least 1 (got {limit})")
    rest = text.replace("\r\n", "\n").strip()
    chunks: list[str] = []
    while rest and size(rest) > limit:
        cut = _cut(rest, limit, size)
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


def _cut(text: str, limit: int, size: Callable[[str], int]) -> int:
    """Where to end the first chunk of ``text`` (which is too long as a whole)."""
    for pattern in (_BLOCK_BREAK, _LINE_BREAK, _WORD_BREAK):
        found = _last_fitting([m.start() for m in pattern.finditer(text)], text, limit, size)
        if found is not None:
            return found
    found = _last_fitting(range(1, len(text)), text, limit, size)
    if found is None:
        raise UsageError(f"a message size limit of {limit} cannot hold even {text[0]!r}")
    return found


def _last_fitting(
    cuts: list[int] | range, text: str, limit: int, size: Callable[[str], int]
) -> int | None:
    """The largest cut whose chunk fits, by binary search (longer prefixes measure more)."""
    low, high, best = 0, len(cuts) - 1, None
    while low <= high:
        middle = (low + high) // 2
        cut = cuts[middle]
        if cut > 0 and size(text[:cut].rstrip()) <= limit:
            best, low = cut, middle + 1
        else:
            high = middle - 1
    return best
