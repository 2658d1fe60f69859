"""Docstring examples run, so they cannot drift from what the code does."""

from __future__ import annotations

import doctest

import coachbot


def test_package_docstring_examples_run() -> None:
    result = doctest.testmod(coachbot, verbose=False)
    assert result.attempted > 0 and result.failed == 0
