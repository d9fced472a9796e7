"""The settings are listed in four places: Settings, the environment names it reads,
.env.example and the table in docs/configuration.md. They must agree, defaults included."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from bot.config import _ENV_KEYS, Settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_LINE = re.compile(r"^([A-Z][A-Z0-9_]+)=(.*)$", re.M)
TABLE_ROW = re.compile(r"^\| ((?:`[A-Z][A-Z0-9_]+`(?:, )?)+) \|", re.M)


def env_names() -> set[str]:
    return {name for name, _ in _ENV_KEYS.values()}


def example() -> dict[str, str]:
    return dict(EXAMPLE_LINE.findall((ROOT / ".env.example").read_text()))


def test_every_settings_field_is_read_from_the_environment() -> None:
    assert {f.name for f in dataclasses.fields(Settings)} == set(_ENV_KEYS)


def test_env_example_lists_every_setting_with_its_default() -> None:
    assert set(example()) == env_names()
    # Read as an environment, .env.example gives exactly the defaults.
    assert Settings.from_env(example()) == Settings()


def test_the_configuration_table_lists_every_setting() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    documented = {
        name for cell in TABLE_ROW.findall(text) for name in re.findall(r"`([A-Z0-9_]+)`", cell)
    }
    assert documented == env_names()
