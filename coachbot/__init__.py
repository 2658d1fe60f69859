"""coachbot: an offline coach for posterior-chain exercises.

>>> from coachbot import Coach
>>> coach = Coach()
>>> coach.ask("should I feel glute ham raises in my lower back?").intent
'feel_lower_back'
"""

from .coach import AMBIGUITY_MARGIN, MIN_SCORE, Coach
from .dialogue import Session
from .errors import CoachbotError, DataError, DataErrors, UsageError
from .models import RedFlag, Reply
from .store import MemoryStore, Responder, SessionStore, SQLiteStore

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
