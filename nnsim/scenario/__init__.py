"""Scenario files: TOML describing a dataset, a network and how to train it.

``schema`` describes every key; ``reader`` reads a file into a :class:`Scenario` (refusing a network
that would not fit in memory, see ``memory``; reading only regular files of a bounded size, see
``files``); ``generate`` draws the generated 2-D sets and computes derived inputs. ``visible`` and
``quoted`` (from ``text``) make any text from a file or a client safe to print.
"""

from ..text import quoted, visible
from .reader import (
    PACKAGE_SCENARIOS,
    SOURCE_SCENARIOS,
    Scenario,
    ScenarioError,
    Source,
    from_wire,
    load,
    parse,
    resolve,
    scenario_dirs,
    shipped,
    to_wire,
)
from .schema import LOSS_NAMES, TABLES, Key

__all__ = [
    "LOSS_NAMES",
    "PACKAGE_SCENARIOS",
    "SOURCE_SCENARIOS",
    "TABLES",
    "Key",
    "Scenario",
    "ScenarioError",
    "Source",
    "from_wire",
    "load",
    "parse",
    "quoted",
    "resolve",
    "scenario_dirs",
    "shipped",
    "to_wire",
    "visible",
]
