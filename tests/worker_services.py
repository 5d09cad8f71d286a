"""A pytest plugin loaded before Django starts (`-p tests.worker_services` in pyproject): with pytest-xdist each worker
process gets a Redis database of its own, as pytest-django already gives it a database of its own (test_…_gw0).

A shared Redis database would let one worker's Celery worker take the tasks another worker's test published, against
the other's database. Worker gw0 keeps the given database number (15 in the Makefile), gw1 takes the one below, …"""

import os
import re

_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
_url = os.environ.get("REDIS_URL", "")
_match = re.fullmatch(r"(redis://[^/]*/)(\d+)", _url)
if _worker.startswith("gw") and _match:
    os.environ["REDIS_URL"] = f"{_match.group(1)}{(int(_match.group(2)) - int(_worker[2:])) % 16}"
