"""coachbot: an offline coach for posterior-chain exercises.

>>> from coachbot import Coach
>>> coach = Coach()
>>> coach.ask("should I feel glute ham raises in my lower back?").intent
'feel_lower_back'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import CoachbotError, DataError, DataErrors, UsageError

if TYPE_CHECKING:
    from .coach import AMBIGUITY_MARGIN, MIN_SCORE, Coach
    from .dialogue import Session
    from .models import RedFlag, Reply
    from .store import MemoryStore, Responder, SessionStore, SQLiteStore

# The rest loads on first use: numpy, Jinja2 and YAML take a third of a second to import, and
# the command line must be able to answer --help, or a Ctrl-C during start-up, without them.
_LAZY = {
    "AMBIGUITY_MARGIN": ".coach",
    "MIN_SCORE": ".coach",
    "Coach": ".coach",
    "Session": ".dialogue",
    "RedFlag": ".models",
    "Reply": ".models",
    "MemoryStore": ".store",
    "Responder": ".store",
    "SessionStore": ".store",
    "SQLiteStore": ".store",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'coachbot' has no attribute '{name}'")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "AMBIGUITY_MARGIN",
    "MIN_SCORE",
    "Coach",
    "CoachbotError",
    "DataError",
    "DataErrors",
    "MemoryStore",
    "RedFlag",
    "Reply",
    "Responder",
    "SQLiteStore",
    "Session",
    "SessionStore",
    "UsageError",
]
__version__ = "0.1.0"
