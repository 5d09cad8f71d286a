"""Runs one roster import in a fresh process and prints {"status", "seconds", "peak_mib", "phases"} as JSON.
The time covers the import itself (read → checks → persist → commit), not Python's and Django's start-up."""

import json
import logging
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

_common.django_setup()

from disbursement.rosters.services import import_job_execute, roster_import_submit  # noqa: E402

path, item, township, period = Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
phases = []


class _Phases(logging.Handler):
    def emit(self, record):
        phases.append(record.getMessage())


logging.getLogger("disbursement.rosters.services").addHandler(_Phases())
logging.getLogger("disbursement.rosters.services").setLevel(logging.INFO)
job = roster_import_submit(actor=None, content=path.read_bytes(), file_name=path.name, item_code=item,
                           township_code=township, period=period, enqueue=False)
started = time.perf_counter()
job = import_job_execute(job_id=job.pk)
elapsed = time.perf_counter() - started
print(json.dumps({"status": job.status, "seconds": elapsed, "message": job.message, "errors": job.errors[:5],
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "phases": phases},
                 ensure_ascii=False))
