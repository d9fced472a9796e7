"""The week's one worker thread. Counting a week (every interest on every day) and drawing
its chart are CPU work: 1.5 s for 30 interests, far more on 3,000-paper days. Done on the
event loop, that held up every reader's replies and digests; here /week and the weekly
push share one thread, so a week's rankers are only ever touched by one thread at a time
and a sweep of thousands of readers takes one core, not all of them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")

_WORKER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="weekly")


async def off_loop(work: Callable[[], T]) -> T:
    """`work()` in the week's worker thread; the loop keeps answering meanwhile."""
    return await asyncio.get_running_loop().run_in_executor(_WORKER, work)
