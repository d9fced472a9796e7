"""The house's shape: imports flow one way (no cycle between modules of bot/ and storage/),
storage never imports bot, and bot/ holds stage packages rather than loose modules."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Cross-cutting modules that every stage may use; everything else lives in a stage package.
TOP_LEVEL_MODULES = {"__init__", "config", "llm", "logsafety", "retrying", "text"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Modules of ours that `path` imports, at load time or lazily inside a function (a lazy
    import only hides a cycle); imports under TYPE_CHECKING are for annotations only."""
    tree = ast.parse(path.read_text())
    hidden = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in hidden:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in known else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in known}


def graph() -> dict[str, set[str]]:
    files = [*ROOT.glob("bot/**/*.py"), *ROOT.glob("storage/**/*.py")]
    known = {module_name(f) for f in files}
    return {module_name(f): imports_of(f, known) for f in files}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    found, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for dep in sorted(edges.get(node, ())):
            if state.get(dep) == "open":
                found.append([*stack[stack.index(dep) :], dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_storage_imports_nothing_from_bot() -> None:
    edges = graph()
    assert {
        m: d
        for m, d in edges.items()
        if m.startswith("storage") and any(x.startswith("bot") for x in d)
    } == {}


def test_bot_imports_no_sqlite3() -> None:
    users = [p.name for p in ROOT.glob("bot/**/*.py") if "import sqlite3" in p.read_text()]
    assert users == []


def test_bot_top_level_is_stage_packages() -> None:
    loose = {p.stem for p in (ROOT / "bot").glob("*.py")}
    assert loose <= TOP_LEVEL_MODULES, loose - TOP_LEVEL_MODULES


# The layers of docs/architecture.md, lowest first: a module may import from its own layer
# or any below it, never from a layer above (lazy imports count; TYPE_CHECKING ones do not).
LAYERS = [
    ["storage"],
    ["bot", "bot.config", "bot.llm", "bot.text", "bot.logsafety", "bot.retrying"],
    ["bot.messages"],
    ["bot.sources"],
    ["bot.ranking"],
    ["bot.writing", "bot.fulltext", "bot.answers", "bot.delivery"],
    ["bot.digests", "bot.weekly"],
    ["bot.assistant"],
    ["bot.telegram"],
    ["bot.service"],
    ["bot.cli"],
]


def layer_of(module: str) -> int:
    """The layer of the longest package prefix that names `module`."""
    best = max(
        (len(name), n)
        for n, names in enumerate(LAYERS)
        for name in names
        if module == name or module.startswith(name + ".")
    )
    return best[1]


def test_imports_never_run_up_the_layers() -> None:
    upward = [
        f"{module} -> {dep}"
        for module, deps in graph().items()
        for dep in sorted(deps)
        if layer_of(dep) > layer_of(module)
    ]
    assert upward == []


def test_every_package_has_a_layer() -> None:
    packages = {
        p.parent.relative_to(ROOT).as_posix().replace("/", ".")
        for p in ROOT.glob("bot/*/__init__.py")
    }
    named = {name for names in LAYERS for name in names}
    assert packages <= named, packages - named
