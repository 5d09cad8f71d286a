"""Handing tasks to the broker (Redis), with a short bounded retry, and a clear failure when it cannot be done.

Callers publish after their transaction commits and decide what a failure means for them:
- a roster import (rosters/services.py) marks its job failed and answers 503: no job waits without a task;
- notices (notifications/services.py) log it and stay queued in their outbox: the notices sweep sends them later;
- a bank return's notices (banking/services.py) are put in the outbox in-process instead.
"""

import logging
import threading

from django.db import connections
from kombu.exceptions import OperationalError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Celery's publish retry: three tries over about a second and a half, so a broker that is restarting is waited
# for and one that is down answers the user within seconds.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 1.0}


class PublishFailed(Exception):
    """The broker could not be reached; the task was not queued."""


def task_publish(task, *, args: list, countdown: float | None = None) -> None:
    try:
        task.apply_async(args=args, countdown=countdown, retry=True, retry_policy=PUBLISH_RETRY)
    except (OperationalError, RedisError, OSError) as exc:
        logger.error("could not queue %s: %s", task.name, exc.__class__.__name__)
        raise PublishFailed(task.name) from exc


def task_run_in_thread(task, *, args: list) -> threading.Thread:
    """Run an eager task (embedded default, no broker) in a thread of this process, so the request that asked
    for it answers at once. The thread opens its own database connections and closes them when it ends."""

    def run() -> None:
        try:
            task.apply(args=args, throw=True)
        except Exception:
            logger.exception("%s failed in its thread", task.name)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, name=f"{task.name}{args}", daemon=True)
    thread.start()
    return thread
