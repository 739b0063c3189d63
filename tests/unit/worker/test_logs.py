"""The worker's log lines are JSON with the job on each, library loggers included (#15)."""

from __future__ import annotations

import io
import json
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

from plot_palette.worker.logs import configure_logging


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    yield stream
    for handler in list(root.handlers):
        if handler not in before[0]:
            root.removeHandler(handler)
    root.setLevel(before[1])
    logging.captureWarnings(False)


def parsed(stream: io.StringIO) -> list[dict[str, Any]]:
    text = stream.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_every_logger_writes_one_json_line_with_the_job(lines: io.StringIO) -> None:
    # GIVEN the worker's logging, set up for one job and task
    logger = configure_logging("job-1", task_arn="arn:aws:ecs:task/x", level="INFO", stream=lines)
    # WHEN the worker, a library and Python's warnings log (quotes, newlines, extra fields)
    logging.getLogger("plot_palette.worker.loop").warning(
        'a "quoted"\nmessage', extra={"reason": 'batch "3" exists', "records": 4}
    )
    logging.getLogger("botocore.credentials").info("Found credentials in environment variables.")
    logging.getLogger("a.library.made.later").error("late logger")
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.warn("old API", DeprecationWarning, stacklevel=1)
    logger.info("from the service logger")
    # THEN each is one JSON object a line with the job and the task, extra fields kept
    records = parsed(lines)
    assert len(records) == 5
    assert all(r["job_id"] == "job-1" and r["task_arn"] == "arn:aws:ecs:task/x" for r in records)
    worker = records[0]
    assert worker["message"] == 'a "quoted"\nmessage'
    assert worker["reason"] == 'batch "3" exists' and worker["records"] == 4
    assert worker["name"] == "plot_palette.worker.loop"
    assert records[1]["name"] == "botocore.credentials"
    assert records[2]["name"] == "a.library.made.later"
    assert records[3]["name"] == "py.warnings"


def test_exceptions_are_one_json_line(lines: io.StringIO) -> None:
    configure_logging("job-2", level="INFO", stream=lines)
    try:
        raise ValueError('bad "value"')
    except ValueError:
        logging.getLogger("plot_palette.worker.service").exception("failed")
    (record,) = parsed(lines)
    assert record["job_id"] == "job-2"
    assert record["exception_name"] == "ValueError"
    assert 'bad "value"' in record["exception"]


def test_sdk_bodies_never_reach_the_log_even_at_debug(lines: io.StringIO) -> None:
    configure_logging("job-3", level="DEBUG", stream=lines)
    logging.getLogger("botocore.endpoint").debug("request body: seed text and a task token")
    logging.getLogger("urllib3.connectionpool").debug("body")
    logging.getLogger("plot_palette.worker.loop").debug("worker detail")
    records = parsed(lines)
    assert [r["message"] for r in records] == ["worker detail"]


def test_configuring_twice_keeps_one_handler(lines: io.StringIO) -> None:
    configure_logging("job-4", level="INFO", stream=lines)
    configure_logging("job-4", level="INFO", stream=lines)
    logging.getLogger("plot_palette.x").warning("once")
    assert len(parsed(lines)) == 1
