"""Where benchmarks find the data they need. The repository carries the sample day and the
recorded responses in tests/data; larger sets (SciFact, recorded days) live in the team's
shared folder, ../shared/data beside the repository. A benchmark without its data stops
with one line saying what is missing, not a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"


def need(path: Path, what: str) -> Path:
    """`path`, or exit with a line naming `what` is missing and where it was looked for."""
    if not path.exists():
        sys.exit(
            f"this benchmark needs {what} at {path}, which is not there: put the team's "
            "shared data folder at ../shared/data beside the repository"
        )
    return path


def shared(relative: str, what: str) -> Path:
    return need(SHARED / relative, what)
