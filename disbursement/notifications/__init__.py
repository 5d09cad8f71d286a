"""Notices to residents (SMS-style): an outbox table, a Celery task that sends it, pluggable senders."""
