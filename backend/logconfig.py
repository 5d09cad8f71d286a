"""The embedded default's (the demo's) logging: quiet in the terminal, the notices it "sends" kept in a file."""

import copy


def logging_embedded(config: dict, *, notice_file: str, quiet_tasks: bool) -> dict:
    """`config` with the notices' logger (LogSender: one line per SMS) written to `notice_file` instead of the
    terminal, where a cycle's thousand SMS would bury the demo's URL and users; with `quiet_tasks`, Celery's
    per-task lines at WARNING (tasks run in-process there, a line per task adds nothing)."""
    config = copy.deepcopy(config)
    if notice_file:
        config["handlers"]["notices"] = {"class": "logging.FileHandler", "filename": notice_file, "encoding": "utf-8",
                                         "formatter": "plain", "filters": ["redact_pii"], "delay": True}
        config["loggers"]["disbursement.notifications"] = {"handlers": ["notices"], "level": "INFO",
                                                           "propagate": False}
    if quiet_tasks:
        config["loggers"]["celery.app.trace"] = {"level": "WARNING"}
    return config
