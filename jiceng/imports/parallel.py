"""Checking rows in forked worker processes (the check is pure Python: no database)."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

C = TypeVar("C")
T = TypeVar("T")


def map_chunks(
    fn: Callable[[C], list[T]],
    chunks: Iterable[C],
    *,
    workers: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
) -> Iterator[T]:
    """``fn`` over every chunk, the results in order. ``initializer(*initargs)`` sets up what
    ``fn`` reads (here, and in each worker); with ``workers`` of 2 or more the chunks go to a
    pool of forked processes, a bounded number in flight so that memory stays flat."""
    initializer(*initargs)
    if workers < 2:
        for chunk in chunks:
            yield from fn(chunk)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer, initargs) as pool:
        in_flight: deque[Any] = deque()
        for chunk in chunks:
            in_flight.append(pool.apply_async(fn, (chunk,)))
            if len(in_flight) > 2 * workers:
                yield from in_flight.popleft().get()
        while in_flight:
            yield from in_flight.popleft().get()
