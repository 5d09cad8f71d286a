"""The embedded (SQLite) settings with tables made straight from the models instead of the migrations: a fresh
SQLite database in a second, for tests that check SQL written for both databases."""

from backend.settings import *  # noqa: F403


class _NoMigrations(dict):
    def __contains__(self, app_label):
        return True

    def __getitem__(self, app_label):
        return None


MIGRATION_MODULES = _NoMigrations()
