"""Turning an intent's Jinja2 template and an exercise's facts into answer text.

Templates use ``StrictUndefined``. They are parsed and their names checked when the data loads,
turned into code on first use, and ``coachbot check`` renders every intent for every exercise,
so a misspelt variable is an error before anyone sees it, never an empty slot in an answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import safe_range

from .errors import DataError

CONTEXT_NAMES = frozenset(
    {
        "ex",
        "level",
        "other",
        "exercises",
        "profile",
        "safety",
        "asked",
        "not_covered",
        "cautions",
        "for_everyone",
        "points_for",
        "focus",
        "age",
        "escalated",
    }
)
"""The names a template may use; see docs/data-format.md."""

_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # plain text, never HTML
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)


def join_names(items: Any, last: str = "and") -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def sentence(text: str) -> str:
    """The text ending in a full stop (unless it ends in one, "!" or "?" already)."""
    text = str(text)
    return text if text.endswith((".", "!", "?")) else f"{text}."


def kit(needs: Any) -> str:
    """What an option needs, as a sentence to append: " Needs: a bench.", " No equipment
    needed." for ``[]``, nothing when the data does not say."""
    if needs is None:
        return ""
    return f" Needs: {join_names(needs)}." if needs else " No equipment needed."


def naming(mistakes: Any, groups: Any, target: Any = ()) -> list[Any]:
    """The mistakes whose description or fix names any of ``groups`` ("hamstring" in "so the
    hamstrings cramp") other than the exercise's ``target`` muscles: what makes it go to
    the muscle a question names, when that is the wrong one."""
    aimed = " ".join(map(str, target)).lower()
    wanted = [g for g in map(str.lower, map(str, groups)) if g not in aimed]
    return [m for m in mistakes if any(g in f"{m.mistake} {m.fix}".lower() for g in wanted)]


# Jinja2's own range, with the sandbox's cap: a slip like ``range(10**9)`` in a template then
# fails the render (and ``coachbot check`` names the template) instead of hanging the answer.
_ENV.globals["range"] = safe_range
_ENV.filters["join_and"] = join_names
_ENV.filters["lower_first"] = _lower_first
_ENV.filters["sentence"] = sentence
_ENV.filters["kit"] = kit
_ENV.filters["naming"] = naming
_BLANKS = re.compile(r"\n{3,}")


def check_template(source: str, file: str, field: str, line: int | None = None) -> frozenset[str]:
    """The context names the template reads; ``DataError`` for a syntax error or an unknown
    name. ``line`` is where the template's YAML key is, so errors point at its own line."""
    try:
        parsed = _ENV.parse(source)
    except jinja2.TemplateSyntaxError as exc:
        where = line + exc.lineno if line is not None else None
        raise DataError(file, where, field, f"template syntax error: {exc.message}") from None
    # Every name read must be a context name, a Jinja global, "loop", or one the template
    # sets itself ({% set %}, loop variables). A plain walk of the tree: jinja2.meta's scope
    # analysis is several times slower and this check runs at every load.
    names = {(n.name, n.ctx) for n in parsed.find_all(nodes.Name)}
    assigned = {name for name, ctx in names if ctx in ("store", "param")}
    read = {name for name, ctx in names if ctx == "load"}
    unknown = read - CONTEXT_NAMES - assigned - set(_ENV.globals) - {"loop"}
    if unknown:
        listed = ", ".join(sorted(unknown))
        raise DataError(file, line, field, f"template uses unknown name(s): {listed}")
    for kind, used, known in (
        ("filter", parsed.find_all(nodes.Filter), _ENV.filters),
        ("test", parsed.find_all(nodes.Test), _ENV.tests),
    ):
        missing = sorted({n.name for n in used} - set(known))
        if missing:
            raise DataError(
                file, line, field, f"template uses unknown {kind}(s): {', '.join(missing)}"
            )
    return frozenset(read & CONTEXT_NAMES)


def fields_read(source: str, name: str) -> frozenset[str]:
    """The attributes a (checked) template reads of context name ``name``: ``{"equipment"}``
    for one that uses ``profile.equipment``."""
    return frozenset(
        node.attr
        for node in _ENV.parse(source).find_all(nodes.Getattr)
        if isinstance(node.node, nodes.Name) and node.node.name == name
    )


def compile_template(
    source: str, file: str, field: str, line: int | None = None
) -> jinja2.Template:
    """A compiled template; syntax errors and unknown names become ``DataError``."""
    check_template(source, file, field, line)
    try:
        return _ENV.from_string(source)
    except jinja2.TemplateError as exc:  # whatever the checks above did not foresee
        raise DataError(file, line, field, f"template error: {exc}") from None


def render(template: jinja2.Template, context: Mapping[str, Any]) -> str:
    """The rendered text, tidied: no trailing spaces, at most one blank line in a row."""
    text = template.render(**context)
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return _BLANKS.sub("\n\n", "\n".join(lines))


def failed_line(exc: BaseException) -> int | None:
    """The line of the template (1 for its first) where rendering raised ``exc``: Jinja2
    keeps template lines in the traceback's template frames."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def fill(message: str, **values: str) -> str:
    """Fill a plain ``{name}`` message from ``_messages.yaml``."""
    return message.format(**values)
