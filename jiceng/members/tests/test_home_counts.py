"""The home page's member counts (issue 22: a city officer's home p95 ≤ 500 ms): counted once,
then kept with the roll's generation. After a change to the roll an officer sees the previous
counts at once, marked as being recounted, while the worker counts afresh; the next view shows
the new counts. Nobody waits seconds for two million members to be counted during a request."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache

from jiceng.core import generations
from jiceng.members import selectors, tasks
from tests.factories import make_member


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The refresh task queued but not run (as with a worker that has not picked it up yet)."""
    calls: list[int] = []
    task = SimpleNamespace(enqueue=calls.append, func=tasks.refresh_home_counts.func)
    monkeypatch.setattr(tasks, "refresh_home_counts", task)
    return calls


def test_after_a_change_the_old_counts_are_shown_marked_then_the_new(
    small: Any, queued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    cache.clear()
    first = selectors.home_figures(small.alice)
    assert first["member_count"] == len(small.a.members)
    assert first["member_counts_refreshing"] is False
    with django_capture_on_commit_callbacks(execute=True):
        make_member(small.a.branches[0])  # bumps the roll's generation on commit
    stale = selectors.home_figures(small.alice)
    assert stale["member_count"] == len(small.a.members)
    assert stale["member_counts_refreshing"] is True
    assert queued == [small.alice.pk]
    # a second view while the recount is queued queues nothing more
    selectors.home_figures(small.alice)
    assert queued == [small.alice.pk]
    tasks.refresh_home_counts.func(small.alice.pk)  # the worker runs it
    fresh = selectors.home_figures(small.alice)
    assert fresh["member_count"] == len(small.a.members) + 1
    assert fresh["member_counts_refreshing"] is False


def test_with_a_worker_in_process_the_new_counts_are_shown_at_once(
    small: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The test settings run tasks immediately, as a lone site without a worker would."""
    cache.clear()
    before = generations.generation(generations.ROLL)
    selectors.home_figures(small.alice)
    with django_capture_on_commit_callbacks(execute=True):
        make_member(small.a.branches[0])
    assert generations.generation(generations.ROLL) > before
    figures = selectors.home_figures(small.alice)
    assert figures["member_count"] == len(small.a.members) + 1
    assert figures["member_counts_refreshing"] is False
