"""Each setting is declared once, in bot/config.py; .env.example and the table in
docs/configuration.md are generated from the declarations and must be what the generator
(scripts/settings_docs.py) writes today, defaults included."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bot.config import SCHEMA, Settings, SettingsError, env_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_LINE = re.compile(r"^([A-Z][A-Z0-9_]+)=(.*)$", re.M)
TABLE_ROW = re.compile(r"^\| `([A-Z][A-Z0-9_]+)` \|", re.M)


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    """scripts/settings_docs.py (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location(
        "settings_docs", ROOT / "scripts/settings_docs.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("settings_docs", module)
    spec.loader.exec_module(module)
    return module


def example() -> dict[str, str]:
    return dict(EXAMPLE_LINE.findall((ROOT / ".env.example").read_text()))


def test_every_settings_field_is_declared_once() -> None:
    assert set(SCHEMA) == {f.name for f in dataclasses.fields(Settings)}
    names = [declared.env for declared in SCHEMA.values()]
    assert len(names) == len(set(names)) == 43
    assert all(declared.help and "|" not in declared.help for declared in SCHEMA.values())


def test_every_default_passes_its_own_parser() -> None:
    for name, declared in SCHEMA.items():
        text = env_text(declared.default)
        if text:
            assert declared.parse(text) == getattr(Settings(), name), declared.env


def test_the_generated_files_are_up_to_date(generator: ModuleType) -> None:
    for path, text in generator.generated().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} is stale: run python scripts/settings_docs.py"
        )
    assert generator.main(["--check"]) == 0


def test_env_example_lists_every_setting_with_its_default() -> None:
    assert list(example()) == [declared.env for declared in SCHEMA.values()]
    # Read as an environment, .env.example gives exactly the defaults.
    assert Settings.from_env(example()) == Settings()


def test_env_example_is_plain_key_value_lines_docker_accepts() -> None:
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            assert re.fullmatch(r"[A-Z][A-Z0-9_]+", key), line
            assert not re.search(r"[\s\"']", value), line


def test_the_configuration_table_lists_every_setting_and_keeps_its_prose() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    assert TABLE_ROW.findall(text) == [declared.env for declared in SCHEMA.values()]
    assert text.startswith("# Configuration\n\nSettings come from the environment")
    assert "{" not in text  # every help slot was filled


def test_the_generator_notices_a_stale_file(generator: ModuleType) -> None:
    current = (ROOT / "docs" / "configuration.md").read_text()
    edited = current.replace("| `PAPERBOY_DB_PATH` | `data/", "| `PAPERBOY_DB_PATH` | `db/")
    assert edited != current
    assert generator.configuration_doc(edited) == current


def test_a_secret_is_never_printed_whichever_setting_holds_it() -> None:
    secrets = [declared.env for declared in SCHEMA.values() if declared.secret]
    assert secrets == ["OPENAI_API_KEY", "TELEGRAM_BOT_TOKEN", "PAPERBOY_WEBHOOK_SECRET"]
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"TELEGRAM_BOT_TOKEN": "x" * 40, "PAPERBOY_WEBHOOK_SECRET": "y" * 9})
    assert "x" * 5 not in str(caught.value) and "y" * 5 not in str(caught.value)
    shown = Settings(openai_api_key="sk-" + "z" * 20).describe()
    assert shown["openai_api_key"] == "***" and shown["telegram_bot_token"] == "None"
