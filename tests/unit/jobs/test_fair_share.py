"""Free slots go by priority, then to the user holding the fewest, each user's jobs in order."""

from __future__ import annotations

from typing import Any

from plot_palette.jobs.fair_share import fair_order


def item(user: str | None, job: str, second: int, priority: int = 5) -> dict[str, Any]:
    key = f"{priority}#2026-12-07T10:00:{second:02d}.000000Z#{job}"
    body: dict[str, Any] = {"job_id": {"S": job}, "queue_key": {"S": key}}
    if user is not None:
        body["user_id"] = {"S": user}
    return body


def jobs(items: list[dict[str, Any]]) -> list[str]:
    return [i["job_id"]["S"] for i in items]


def queue_order(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda i: i["queue_key"]["S"])


def test_a_user_who_queued_first_does_not_take_every_slot() -> None:
    # A queued 20 jobs and holds 5 slots; B queued 2 after all of A's.
    waiting = [item("A", f"a{n:02d}", n) for n in range(5, 20)] + [
        item("B", "b1", 40),
        item("B", "b2", 41),
    ]
    running = [item("A", f"a{n:02d}", n) for n in range(5)]
    ordered = jobs(fair_order(queue_order(waiting), running))
    assert ordered[:2] == ["b1", "b2"]  # B holds none: B's jobs come first
    assert ordered[2:] == [f"a{n:02d}" for n in range(5, 20)]  # A's keep their own order


def test_users_alternate_and_ties_go_to_the_oldest_waiting_job() -> None:
    waiting = queue_order(
        [
            item("A", "a1", 1),
            item("A", "a2", 2),
            item("B", "b1", 3),
            item("C", "c1", 4),
            item("B", "b2", 5),
        ]
    )
    assert jobs(fair_order(waiting, [])) == ["a1", "b1", "c1", "a2", "b2"]


def test_priority_comes_before_fairness() -> None:
    waiting = queue_order(
        [item("A", "a-urgent", 9, priority=1), item("B", "b1", 1), item("A", "a1", 2)]
    )
    running = [item("A", "a0", 0)]
    assert jobs(fair_order(waiting, running)) == ["a-urgent", "b1", "a1"]


def test_a_user_at_the_cap_waits_and_others_go_on() -> None:
    waiting = queue_order([item("A", "a3", 3), item("A", "a4", 4), item("B", "b1", 5)])
    running = [item("A", "a1", 1), item("A", "a2", 2)]
    assert jobs(fair_order(waiting, running, per_user_limit=2)) == ["b1"]
    assert jobs(fair_order(waiting, running, per_user_limit=3)) == ["b1", "a3"]


def test_items_that_name_no_user_count_each_as_their_own() -> None:
    waiting = queue_order([item(None, "old1", 1), item(None, "old2", 2), item("A", "a1", 3)])
    assert jobs(fair_order(waiting, [item("A", "a0", 0)])) == ["old1", "old2", "a1"]
