"""The facts refresh's SQL on SQLite (the embedded demo), in a fresh interpreter on a fresh SQLite database."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json
import django
django.setup()
from django.core.management import call_command
call_command("migrate", run_syncdb=True, verbosity=0)
from disbursement.catalog.services import catalog_load
from geo.models import Region
catalog_load()
for code, name, level, parent in [
        ("430000000000", "湖南省", "province", None),
        ("430300000000", "湘潭市", "city", "430000000000"),
        ("430321000000", "湘潭县", "county", "430300000000"),
        ("430382000000", "韶山市", "county", "430300000000"),
        ("430321100000", "易俗河镇", "township", "430321000000"),
        ("430321102000", "谭家山镇", "township", "430321000000"),
        ("430382100000", "清溪镇", "township", "430382000000"),
        ("430321100001", "一村", "village", "430321100000"),
        ("430321100004", "四村", "village", "430321100000"),
        ("430321102006", "六村", "village", "430321102000"),
        ("430382100001", "清溪一村", "village", "430382100000")]:
    Region.objects.create(code=code, name=name, level=level, parent_id=parent)
from disbursement.accounts.models import User
from disbursement.supervision import measures, selectors
from disbursement.supervision.services import facts_refresh
from tests.disbursement.supervision_builders import small_world
small_world()
facts_refresh()
facts_refresh()
user = User.objects.create(username="sup", role="supervisor", region_id="430300000000")
view = selectors.overview(user=user, year=2026)
print(json.dumps({
    "figures": {k: f.value for k, f in view.figures.items()},
    "months": selectors.by_month(user=user, region_code="430300000000", year=2026),
    "per_household": {r.code: r.value for r in measures.county_measure(
        user=user, region_code="430300000000", measure="paid_per_household", year=2026)},
    "as_of": view.as_of is not None}))
"""


def test_the_facts_refresh_gives_the_same_figures_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(DJANGO_SETTINGS_MODULE="tests.sqlite_settings", SQLITE_PATH=str(tmp_path / "demo.sqlite3"),
               PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    figures = found["figures"]
    assert (figures["paid_fen"], figures["payments"], figures["households"], figures["persons"]) == (150_000, 5, 4, 5)
    assert (figures["failed"], figures["reissued"], figures["returned_fen"], figures["stopped_fen"]) == (
        2, 1, 15_000, 70_000)
    assert found["months"] == [["2026-03", 100_000, 4], ["2026-04", 50_000, 1]]
    assert round(found["per_household"]["430321000000"], 2) == 333.33 and found["as_of"]
