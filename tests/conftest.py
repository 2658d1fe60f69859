from __future__ import annotations

from pathlib import Path

import pytest

from coachbot import Coach

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def coach() -> Coach:
    return Coach()
