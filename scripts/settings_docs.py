"""Write .env.example and the settings table of docs/configuration.md from the declarations in
bot/config.py (the prose around the table is left as written). tests/test_settings_lists.py
fails when the committed files differ from what this would write.

Run: python scripts/settings_docs.py            (rewrite both files)
     python scripts/settings_docs.py --check    (exit 1 naming the stale ones)
"""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

from bot.config import SCHEMA, Setting, env_text
from bot.sources import registered

ROOT = Path(__file__).resolve().parent.parent
ENV_EXAMPLE = ROOT / ".env.example"
CONFIGURATION = ROOT / "docs" / "configuration.md"
TABLE_START = (
    "<!-- The table below is generated from bot/config.py by scripts/settings_docs.py: "
    "edit the declarations there. -->"
)
TABLE_END = "<!-- End of the generated table. -->"

ENV_HEADER = """\
# Paperboy settings. Copy to .env (or pass with `docker run --env-file .env`).
# Plain KEY=value lines only: quotes and spaces around '=' break docker's --env-file.
# Every setting is optional; the value shown is the default.
# (Generated from the declarations in bot/config.py by scripts/settings_docs.py.)
"""
LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def sources_text() -> str:
    """The registered sources, as PAPERBOY_SOURCE's help names them (config imports no stage,
    so its help leaves a `{sources}` slot filled here)."""
    named = []
    for source in registered():
        example = f", e.g. `{source.example}`" if source.example else ""
        named.append(f"`{source.usage}` ({source.about}{example})")
    return ", ".join(named)


def help_text(setting: Setting) -> str:
    """The setting's help, its `{slot}`s filled in."""
    return setting.help.replace("{sources}", sources_text())


def env_example() -> str:
    """.env.example: every setting with its default, under its section, help as comments."""
    lines = [ENV_HEADER]
    for setting in SCHEMA.values():
        if setting.starts is not None:
            lines += ["", f"# --- {setting.starts.title} ---"]
            lines += _comment(setting.starts.intro)
        empty = f" Empty: {setting.empty}." if setting.empty else ""
        lines += _comment(help_text(setting), empty)
        lines.append(f"{setting.env}={env_text(setting.default)}")
    return "\n".join(lines).replace("\n\n\n", "\n\n") + "\n"


def _comment(markdown: str, then: str = "") -> list[str]:
    """Markdown help as `# ` lines: a sentence, no backticks, links as docs/ paths."""
    if not markdown:
        return []
    text = LINK.sub(lambda m: f"docs/{m.group(2)}", markdown).replace("`", "")
    text = (text if text.endswith(".") else f"{text}.") + then
    return textwrap.wrap(
        text,
        width=92,
        initial_indent="# ",
        subsequent_indent="# ",
        break_long_words=False,
        break_on_hyphens=False,
    )


def table() -> str:
    """docs/configuration.md's table: variable, default, meaning."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for setting in SCHEMA.values():
        default = env_text(setting.default)
        if default:
            shown = f"`{default}`"
        else:
            shown = f"*(empty: {setting.empty})*" if setting.empty else "*(empty)*"
        meaning = help_text(setting).replace("|", "\\|")
        rows.append(f"| `{setting.env}` | {shown} | {meaning} |")
    return "\n".join(rows)


def configuration_doc(current: str) -> str:
    """docs/configuration.md with the text between the markers replaced by table()."""
    start, end = current.find(TABLE_START), current.find(TABLE_END)
    if start < 0 or end < start:
        raise SystemExit(f"{CONFIGURATION}: the generated table's markers are missing")
    return f"{current[: start + len(TABLE_START)]}\n{table()}\n{current[end:]}"


def generated() -> dict[Path, str]:
    """Each generated file and the text it should have."""
    return {
        ENV_EXAMPLE: env_example(),
        CONFIGURATION: configuration_doc(CONFIGURATION.read_text(encoding="utf-8")),
    }


def main(argv: list[str]) -> int:
    stale = [p for p, text in generated().items() if p.read_text(encoding="utf-8") != text]
    if "--check" in argv:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is stale: run python scripts/settings_docs.py")
        return 1 if stale else 0
    for path, text in generated().items():
        if path in stale:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
