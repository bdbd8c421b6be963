"""The Celery app that fault tests run as a worker (tests/support/processes.CeleryWorker): the
project's own app, plus a pause a test asks for through the environment, so that a kill lands at
a known point of a task instead of wherever the clock happens to be.

FAULT_DIR is where the worker leaves marks the test waits for; FAULT_PAUSE_AFTER_TASK names a
task that, once its body has returned (its transaction committed, its after-commit work sent)
and before the worker acknowledges it, marks `paused-<task id>` and waits to be killed (once per
task id: the same task delivered again runs through). Each pool process marks `pool-<pid>`."""

import os
import time
from pathlib import Path

from celery import signals

from wallet_support.celery import app

__all__ = ["app"]


@signals.worker_process_init.connect
def _mark_pool_process(**kwargs) -> None:
    fault_dir = os.environ.get("FAULT_DIR")
    if fault_dir:
        (Path(fault_dir) / f"pool-{os.getpid()}").touch()


@signals.task_postrun.connect
def _pause_before_acknowledging(sender=None, task_id=None, **kwargs) -> None:
    fault_dir = os.environ.get("FAULT_DIR")
    if fault_dir and sender is not None and sender.name == os.environ.get("FAULT_PAUSE_AFTER_TASK"):
        mark = Path(fault_dir) / f"paused-{task_id}"
        if not mark.exists():
            mark.touch()
            time.sleep(3600)
