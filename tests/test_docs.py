"""Docstring examples run, so they cannot drift from what the code does."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import coachbot

_MODULES = [
    "coachbot",
    *(
        f"coachbot.{m.name}"
        for m in pkgutil.iter_modules(coachbot.__path__)
        if m.name != "__main__"
    ),
]


@pytest.mark.parametrize("name", _MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), verbose=False)
    assert result.failed == 0


def test_docstring_examples_exist_where_expected() -> None:
    for name in ("coachbot", "coachbot.formatting"):
        assert doctest.testmod(importlib.import_module(name), verbose=False).attempted > 0, name
