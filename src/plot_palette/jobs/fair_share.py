"""The order in which waiting jobs get free slots: priority first, then fair between users.

Within one priority, FIFO alone lets whoever queued first take every slot for as long as their
queue lasts: a user who queued 30 jobs held all five slots while a second user's two jobs
waited behind them. Here the next slot of a priority goes to the user who holds the fewest slots
(running jobs plus jobs already picked in this pass), and among users who hold as many, to the
one whose oldest waiting job is oldest; each user's own jobs keep their queue order. A
deployment may also cap the slots one user holds at once (``per_user_limit``, 0 for no cap).

A job queued before queue items named their user counts as a user of its own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any


def owner(item: dict[str, Any]) -> str:
    """The user a queue item belongs to (the job itself for an item that names nobody)."""
    return str(item.get("user_id", {}).get("S") or "job:" + item["job_id"]["S"])


def fair_order(
    waiting: Iterable[dict[str, Any]], running: Iterable[dict[str, Any]], per_user_limit: int = 0
) -> list[dict[str, Any]]:
    """The waiting queue items in the order they should get slots (users at their cap left out).

    ``waiting`` and ``running`` are QUEUED-partition items (``running``: granted ones, which
    hold a slot); ``waiting`` comes in queue-key order, so by priority band then age.
    """
    held = Counter(owner(item) for item in running)
    bands: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for item in waiting:
        band = item["queue_key"]["S"].split("#", 1)[0]
        bands.setdefault(band, {}).setdefault(owner(item), []).append(item)
    ordered: list[dict[str, Any]] = []
    for band in sorted(bands):
        queues = bands[band]
        while queues:
            user = min(queues, key=lambda u: (held[u], queues[u][0]["queue_key"]["S"]))
            if per_user_limit and held[user] >= per_user_limit:
                del queues[user]  # at the cap: none of this user's jobs in this band now
                continue
            ordered.append(queues[user].pop(0))
            held[user] += 1
            if not queues[user]:
                del queues[user]
    return ordered
