"""Jobs: specs, statuses, the Jobs/Queue stores, submission, execution start, slot release."""

from plot_palette.jobs.spec import JobSpec, load_job_spec, parse_job_spec
from plot_palette.jobs.status import FINAL_STATUSES, JobStatus
from plot_palette.jobs.store import ConfigStore, JobsStore, QueueStore

__all__ = [
    "FINAL_STATUSES",
    "ConfigStore",
    "JobSpec",
    "JobStatus",
    "JobsStore",
    "QueueStore",
    "load_job_spec",
    "parse_job_spec",
]
