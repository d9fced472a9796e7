"""The bot token never reaches output, however it is mistyped; bad numbers are refused with
one clear line. Driven from the outside: the real `paperboy` command in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings, SettingsError, read_dotenv
from tests.fakes.telegram_api import FakeTelegram

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw4"  # real shape, not a real token


def paperboy(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "paperboy"
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PAPERBOY_", "TELEGRAM_"))}
    return subprocess.run(
        [str(script), *args],
        cwd=cwd,
        env={**base, "PAPERBOY_DB_PATH": str(cwd / "p.db"), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("raw", "hint"),
    [
        (f"bot{TOKEN}", "remove the leading 'bot'"),
        (f'"{TOKEN}', "remove the quotes"),
        (f"{TOKEN} # my bot", "does not look like a bot token"),
        (TOKEN[:-20], "does not look like a bot token"),
    ],
)
def test_a_mistyped_token_is_explained_without_being_printed(
    tmp_path: Path, raw: str, hint: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({"TELEGRAM_BOT_TOKEN": raw})
    assert hint in str(caught.value)
    assert TOKEN[:12] not in str(caught.value) and TOKEN[-12:] not in str(caught.value)
    result = paperboy("run", env={"TELEGRAM_BOT_TOKEN": raw}, cwd=tmp_path)
    assert result.returncode == 1 and hint in result.stderr
    assert TOKEN[10:] not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_dotenv_values_are_unquoted_as_python_dotenv_does(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f'TELEGRAM_BOT_TOKEN="{TOKEN}"\n'
        "export PAPERBOY_LLM_MODEL='qwen2.5:7b'\n"
        "PAPERBOY_SOURCE=sample   # the bundled day\n"
        'OPENAI_API_KEY="sk-with # hash"  # a comment\n'
        "PAPERBOY_EMBEDDINGS=off\n"
    )
    values = read_dotenv(env_file)
    assert values["TELEGRAM_BOT_TOKEN"] == TOKEN
    assert values["PAPERBOY_LLM_MODEL"] == "qwen2.5:7b"
    assert values["PAPERBOY_SOURCE"] == "sample"
    assert values["OPENAI_API_KEY"] == "sk-with # hash"
    assert Settings.from_env(values).telegram_bot_token == TOKEN


def test_a_token_telegram_rejects_is_one_line_and_never_printed(tmp_path: Path) -> None:
    with FakeTelegram() as tg:  # it knows another token: ours gets 404, as Telegram answers
        env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": tg.server.url}
        result = paperboy("run", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "Telegram rejected TELEGRAM_BOT_TOKEN" in result.stderr
    assert TOKEN[10:] not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_an_unreachable_bot_api_is_retried_then_one_line(tmp_path: Path) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": "http://127.0.0.1:9"}
    result = paperboy("run", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "could not reach the Telegram Bot API after 4 attempts" in result.stderr
    assert "Traceback" not in result.stderr and TOKEN[10:] not in result.stderr


@pytest.mark.parametrize(
    ("env", "args", "message"),
    [
        ({"PAPERBOY_HTTP_TIMEOUT": "nan"}, ["papers"], "PAPERBOY_HTTP_TIMEOUT='nan'"),
        ({"PAPERBOY_LLM_TIMEOUT": "inf"}, ["papers"], "must be a positive number"),
        ({}, ["papers", "--limit", "-1"], "-1 is not in the range"),
        (
            {},
            ["match", "--papers", "x.json", "--interest", "LoRA", "--threshold", "nan"],
            "nan is not a number",
        ),
    ],
)
def test_bad_numbers_are_refused_plainly(
    tmp_path: Path, env: dict[str, str], args: list[str], message: str
) -> None:
    result = paperboy(*args, env=env, cwd=tmp_path)
    assert result.returncode in (1, 2) and message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_contact_arxiv_cannot_be_sent_is_refused_at_start() -> None:
    with pytest.raises(SettingsError, match=r"PAPERBOY_CONTACT.*plain ASCII"):
        Settings.from_env({"PAPERBOY_CONTACT": "José Müller <jose@example.org>"})
    assert Settings.from_env({"PAPERBOY_CONTACT": "jose@example.org"}).contact == (
        "jose@example.org"
    )


def test_the_webhook_listens_on_loopback_unless_told_otherwise() -> None:
    assert Settings().webhook_listen == "127.0.0.1"


def test_a_wrong_bot_api_address_is_named(tmp_path: Path) -> None:
    with FakeTelegram() as tg:  # a server that is not the Bot API at that path: 404
        env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": f"{tg.server.url}/nothing"}
        result = paperboy("run", env=env, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"or TELEGRAM_API_URL={tg.server.url}/nothing is not a Bot API server" in result.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PAPERBOY_PAPERS_URL": "http://127.0.0.1:99999/x"}, "PAPERBOY_PAPERS_URL="),
        (
            {"PAPERBOY_HEALTH_HOST": "no-such-host.invalid", "PAPERBOY_HEALTH_PORT": "18089"},
            "PAPERBOY_HEALTH_HOST=",
        ),
    ],
)
def test_bad_addresses_are_refused_at_start_naming_the_setting(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    env = {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": "http://127.0.0.1:9", **env}
    result = paperboy("run", env=env, cwd=tmp_path)
    assert result.returncode == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "ExceptionGroup" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 2
