"""`agentls.lifecycle` loads each verb on first use: every public name still resolves."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import agentls.lifecycle as lifecycle


def test_every_public_name_is_its_modules_function() -> None:
    assert lifecycle.__all__ == sorted(lifecycle._HOMES)
    for name, home in lifecycle._HOMES.items():
        function = getattr(lifecycle, name)
        assert callable(function)
        assert function is getattr(importlib.import_module(f"agentls.lifecycle.{home}"), name)


def test_land_is_the_verb_even_after_its_module_is_imported() -> None:
    """The verb's module is `landing`: a submodule named `land` would shadow the verb
    on the package once anything imported it."""
    script = (
        "import agentls.lifecycle.queue\n"  # imports agentls.lifecycle.landing
        "from agentls.lifecycle import land\n"
        "import agentls.lifecycle as l\n"
        "print(callable(land), l.land is land, land.__module__)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.split() == ["True", "True", "agentls.lifecycle.landing"]


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_verb"):
        lifecycle.no_such_verb  # noqa: B018
