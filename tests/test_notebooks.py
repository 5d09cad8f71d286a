"""The analysts' notebooks (notebooks/*.ipynb) executed as an analyst would run them, by a real Jupyter kernel in its
own process, against a small data set committed to the test database; a broken notebook fails the suite.

Each notebook runs unchanged, then one probe cell appended here prints the frames the assertions read as JSON.
"""

import asyncio
import datetime
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone
from nbclient import NotebookClient

from disbursement.accounts.roles import Role
from disbursement.accounts.services import user_create
from disbursement.alerts import lifecycle as life
from disbursement.banking.services import bank_files_generate, return_file_import
from disbursement.banking.simulator import bank_simulate
from disbursement.budget.services import indicator_issue
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.rosters.services import import_job_execute, roster_import_submit
from disbursement.rosters.workflow import roster_act
from disbursement.treasury.services import statements_import
from tests.builders import publicity_passed
from tests.conftest import PASSWORD, QINGXI_TOWN, SHAOSHAN_CITY, XIANGTAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.disbursement.alert_builders import raise_alert
from tests.disbursement.treasury_builders import statement_csv, statement_rows
from tests.factories import card_number, han_name, id_number, roster_csv, roster_row

# The data set is built once (see `outputs`); the marker makes pytest-django set up the test database for these
# tests, which read only the kernels' outputs.
pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
ITEM = "0604"  # 困难群众春节慰问金: 500.00 yuan per household, once
PROVINCE = "430000000000"
XIANGXIANG_CITY = "430381000000"  # 湘乡市, a county-level city of 湘潭市
VILLAGES = {XIANGTAN_COUNTY: (YISUHE_TOWN, "430321100001"), SHAOSHAN_CITY: (QINGXI_TOWN, "430382100001")}


def test_committed_notebooks_carry_no_outputs():
    names = sorted(path.name for path in NOTEBOOKS.glob("*.ipynb"))
    assert names == ["alert_review.ipynb", "provincial_overview.ipynb", "treasury_review.ipynb"]
    for name in names:
        notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(notebook)
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        assert code and all(cell.outputs == [] and cell.execution_count is None for cell in code), name


def database_url() -> str:
    """The test database as a URL, for the kernel (a separate process) to open through the project's settings."""
    settings = connection.settings_dict
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    return (f"postgres://{settings['USER']}{password}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
            f"/{settings['NAME']}")


def notebooks_run(runs: dict[str, tuple[str, str, dict]]) -> dict[str, dict]:
    """Execute each run's notebook, at once, each in its own python3 kernel of this virtualenv with the parameters
    as NOTEBOOK_* variables, then evaluate its probe (a Python expression) in the same kernel; return the JSONs.

    runs: label -> (notebook file name, probe, parameters)."""
    notebooks, clients, envs = {}, {}, {}
    for label, (name, probe, parameters) in runs.items():
        notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
        notebook.cells.append(nbformat.v4.new_code_cell(f"import json as _j\nprint(_j.dumps({probe}, default=str))"))
        notebooks[label] = notebook
        envs[label] = {**os.environ, "DATABASE_URL": database_url(),
                       **{f"NOTEBOOK_{key.upper()}": str(value) for key, value in parameters.items()}}
        clients[label] = NotebookClient(notebook, timeout=120, kernel_name="python3",
                                        resources={"metadata": {"path": str(NOTEBOOKS)}})

    async def all_of_them():
        await asyncio.gather(*(client.async_execute(env=envs[label]) for label, client in clients.items()))

    asyncio.run(all_of_them())
    outputs = {}
    for label, notebook in notebooks.items():
        stream = [output for output in notebook.cells[-1].outputs if output.output_type == "stream"]
        outputs[label] = json.loads(stream[-1].text)
    return outputs


def paid_roster(people: dict, county: str, rows: int, *, fail_rate: float, seed: int) -> list[Payment]:
    """A roster of ITEM in the county's township taken through publicity, approvals and the bank: its payments are
    paid, or failed where the simulated bank refuses them."""
    town, village = VILLAGES[county]
    year = timezone.localdate().year
    indicator_issue(actor=None, document_number=f"湘财社〔{year}〕{county[4:6]}号", item_code=ITEM, county_code=county,
                    fiscal_year=year, funding_level="provincial", amount_fen=rows * 50_000)
    content = roster_csv([roster_row(han_name("孙", i), id_number(), card_number(), village) for i in range(rows)])
    job = roster_import_submit(actor=None, content=content, file_name="r.csv", item_code=ITEM, township_code=town,
                               period=str(year), enqueue=False)
    roster = import_job_execute(job_id=job.pk).roster
    assert roster is not None, job.errors
    staff = people[county]
    publicity_passed(roster, staff["clerk"])
    roster_act(actor=staff["clerk"], roster_id=roster.pk, action="township_approve")
    roster_act(actor=staff["department"], roster_id=roster.pk, action="department_approve")
    roster_act(actor=staff["finance"], roster_id=roster.pk, action="finance_approve")
    for bank_file in bank_files_generate(actor=staff["finance"], roster_id=roster.pk):
        answer = bank_simulate(bank_file.payment_file_bytes(), fail_rate=fail_rate, seed=seed,
                               processed=timezone.localdate())
        return_file_import(actor=staff["finance"], data=answer)
    return list(Payment.objects.filter(roster=roster))


def user(role: str, region: str, **extra):
    return user_create(actor=None, username=f"{role}-{region}", password=PASSWORD, role=role, region_code=region,
                       **extra)


def alerts_worked() -> None:
    """Five alerts: D1 ×3 (one dismissed, one confirmed with 500.00 due and 200.00 recovered, one new), C1
    dismissed, A4 (in 韶山市) confirmed."""
    supervisor = user(Role.SUPERVISOR, XIANGTAN_CITY)
    d1 = [raise_alert(rule="D1", ref=str(i)) for i in range(3)]
    c1 = raise_alert(rule="C1", severity="medium", ref="9")
    a4 = raise_alert(rule="A4", severity="low", ref="10", region_code="430382100001")

    def walk(alert_id, *steps):
        ids = {"actor": supervisor, "alert_id": alert_id}
        life.alert_assign(**ids, assignee_id=supervisor.pk)
        life.alert_verify(**ids)
        for step, kwargs in steps:
            getattr(life, f"alert_{step}")(**ids, **kwargs)

    walk(d1[0], ("dismiss", {"reason": "入户核实，系误报"}))
    walk(d1[1], ("confirm", {"finding": "属实"}),
         ("rectify", {"recovery_due_yuan": "500.00", "measures": ["recovery_order"]}),
         ("recover", {"amount_yuan": "200.00"}))
    walk(c1, ("dismiss", {"reason": "系误报"}))
    walk(a4, ("confirm", {"finding": "属实"}))


def treasury_imported(year: int) -> None:
    """61 daily statements (November and December of `year`) for three counties, outflow 1,000.00 a day, so the
    average monthly outflow is 30,000.00 and the level is the closing balance ÷ 30,000.00:
    湘潭县 closes at 5,000.00 every day (level 0.17, 预警 all 61 days); 韶山市 at 20,000.00 (0.67, 正常);
    湘乡市 at 6,000.00 through November (预警, 30 days), then 20,000.00 arrive on 1 December: 26,000.00 (0.87, 闲置)."""
    start = datetime.date(year, 11, 1)
    rows = (statement_rows(XIANGTAN_COUNTY, start, 61, opening=5_000)
            + statement_rows(SHAOSHAN_CITY, start, 61, opening=20_000)
            + statement_rows(XIANGXIANG_CITY, start, 30, opening=6_000)
            + statement_rows(XIANGXIANG_CITY, datetime.date(year, 12, 1), 1, opening=6_000, inflow=21_000)
            + statement_rows(XIANGXIANG_CITY, datetime.date(year, 12, 2), 30, opening=26_000))
    result = statements_import(actor=None, content=statement_csv(rows), file_name="statements.csv")
    assert not getattr(result, "errors", None), result


@pytest.fixture(scope="module")
def outputs(django_db_setup, django_db_blocker, tmp_path_factory):
    """The data set committed (the kernels are other processes), the notebooks run on it, the database emptied
    and its reference data reloaded afterwards, as a transactional test leaves it."""
    folder = tmp_path_factory.mktemp("notebooks")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=folder / "media"):
        try:
            people = {county: {"clerk": user(Role.TOWNSHIP_CLERK, town),
                               "department": user(Role.COUNTY_DEPARTMENT, county, department="civil_affairs"),
                               "finance": user(Role.COUNTY_FINANCE, county)}
                      for county, (town, _village) in VILLAGES.items()}
            payments = paid_roster(people, XIANGTAN_COUNTY, 6, fail_rate=0.3, seed=5) + paid_roster(
                people, SHAOSHAN_CITY, 4, fail_rate=0.0, seed=1)
            alerts_worked()
            last_year = timezone.localdate().year - 1
            treasury_imported(last_year)
            year = timezone.localdate().year
            map_file = folder / "map.html"
            found = notebooks_run({
                "overview": ("provincial_overview.ipynb", '{"year": YEAR, "paid": paid.to_dict("records"), '
                             '"by_county": by_county.reset_index().to_dict("records"), '
                             '"top": top_items.to_dict("records"), "pivot": by_county_item.to_dict()}',
                             {"year": year, "region": PROVINCE, "map_file": map_file}),
                "alerts": ("alert_review.ipynb", '{"firing": rules_firing.to_dict("records"), '
                           '"dismissal": dismissal.to_dict("records"), "by_rule": recovered_by_rule.to_dict("records"),'
                           ' "by_county": recovered_by_county.to_dict("records")}', {"region": PROVINCE}),
                "county_alerts": ("alert_review.ipynb", '{"rules": sorted(alerts["rule"].unique().tolist())}',
                                  {"region": SHAOSHAN_CITY}),
                "treasury": ("treasury_review.ipynb", '{"shares": band_shares.reset_index().to_dict("records"), '
                             '"longest": longest_warning.to_dict("records")}',
                             {"year": last_year, "region": XIANGTAN_CITY}),
            })
            found["payments"] = [(p.village_id[:6] + "000000", p.status, p.amount_fen) for p in payments]
            found["map_html"] = map_file.read_text(encoding="utf-8")
            found["last_year"] = last_year
            return found
        finally:
            call_command("flush", interactive=False, verbosity=0)
            call_command("load_reference", verbosity=0)


def test_the_notebooks_read_the_data_set_right(outputs):
    """One test, so that parallel workers (pytest-xdist) build the data set and start the kernels once."""
    provincial_overview_pivots_paid_money_by_county_and_item(outputs)
    provincial_overview_map_loads_nothing_from_another_host(outputs)
    alert_review_counts_rules_dismissals_and_recoveries(outputs)
    treasury_review_shares_bands_by_month_and_finds_the_longest_warning(outputs)


def provincial_overview_pivots_paid_money_by_county_and_item(outputs):
    paid = {}
    for county, status, amount in outputs["payments"]:
        if status == PaymentStatus.PAID:
            paid[county] = paid.get(county, 0) + amount
    failed = sum(status == PaymentStatus.FAILED for _county, status, _amount in outputs["payments"])
    assert failed >= 1 and paid[SHAOSHAN_CITY] == 4 * 50_000  # the data set has both outcomes
    out = outputs["overview"]

    assert out["year"] == timezone.localdate().year
    assert {(row["county"], row["item"], row["paid_fen"]) for row in out["paid"]} == {
        (county, ITEM, amount) for county, amount in paid.items()}
    counties = {row["code"]: row for row in out["by_county"]}
    assert len(counties) == 134  # every county-level unit of Hunan, paid or not
    assert counties[XIANGTAN_COUNTY]["households"] == 6 - failed  # each payee a household of one
    assert counties[XIANGTAN_COUNTY]["per_household_yuan"] == 500.0
    assert counties[SHAOSHAN_CITY]["paid_fen"] == 200_000 and counties[SHAOSHAN_CITY]["persons"] == 4
    assert counties["430102000000"]["paid_fen"] == 0  # 芙蓉区: nothing paid, still listed
    assert out["top"][0]["item"] == ITEM and out["top"][0]["paid_fen"] == sum(paid.values())
    item_column = next(column for column in out["pivot"] if column != "合计")
    assert out["pivot"][item_column] == {"湘潭县": paid[XIANGTAN_COUNTY], "韶山市": 200_000,
                                         "合计": sum(paid.values())}


def provincial_overview_map_loads_nothing_from_another_host(outputs):
    page = outputs["map_html"]
    assert "L.map(" in page and "户均发放额" in page and XIANGTAN_COUNTY in page
    assert not re.search(r"""<(script|img|iframe)[^>]+src=["']?https?:|<link[^>]+href=["']?https?:""", page, re.I)
    assert not re.search(r"""tileLayer\(\s*["']https?:""", page)


def alert_review_counts_rules_dismissals_and_recoveries(outputs):
    out = outputs["alerts"]
    firing = {row["rule"]: row for row in out["firing"]}
    assert [row["rule"] for row in out["firing"]] == ["D1", "A4", "C1"]  # most first, then by code
    assert (firing["D1"]["alerts"], firing["D1"]["open"], firing["D1"]["rule_name"]) == (3, 2, "死亡人员领取")
    assert firing["D1"]["at_risk_fen"] == 3 * 50_000
    rates = {row["rule"]: row["dismissal_rate"] for row in out["dismissal"]}
    assert rates == {"D1": 0.5, "C1": 1.0, "A4": 0.0}
    assert out["by_rule"] == [{"rule": "D1", "rule_name": "死亡人员领取", "alerts": 1, "due_fen": 50_000,
                               "recovered_fen": 20_000, "outstanding_fen": 30_000}]
    assert [(row["county"], row["county_name"], row["recovered_fen"]) for row in out["by_county"]] == [
        (XIANGTAN_COUNTY, "湘潭县", 20_000)]
    # A county's review sees that county's alerts only.
    assert outputs["county_alerts"]["rules"] == ["A4"]


def treasury_review_shares_bands_by_month_and_finds_the_longest_warning(outputs):
    year = outputs["last_year"]
    shares = {row["month"]: {band: round(share, 4) for band, share in row.items() if band != "month"}
              for row in outputs["treasury"]["shares"]}
    third = round(1 / 3, 4)
    assert shares == {f"{year}-11": {"warning": round(2 / 3, 4), "low": 0.0, "normal": third, "idle": 0.0},
                      f"{year}-12": {"warning": third, "low": 0.0, "normal": third, "idle": third}}
    longest = [(row["county"], row["county_name"], row["days"], row["start"][:10], row["end"][:10], row["ongoing"])
               for row in outputs["treasury"]["longest"]]
    assert longest == [(XIANGTAN_COUNTY, "湘潭县", 61, f"{year}-11-01", f"{year}-12-31", True),
                       (XIANGXIANG_CITY, "湘乡市", 30, f"{year}-11-01", f"{year}-11-30", False)]


def test_the_notebooks_connection_refuses_writes_on_postgresql():
    """`_db` opens PostgreSQL sessions with default_transaction_read_only: a write fails before it touches a row."""
    probe = ("import _db; print(len(_db.counties('430300000000')));\n"
             "try:\n    _db.read_sql(f\"DELETE FROM {_db.table('geo.Region')} WHERE code = ''\")\n"
             "except Exception as exc:\n    print('refused', exc)")
    result = subprocess.run([sys.executable, "-c", probe], cwd=NOTEBOOKS, capture_output=True, text=True,
                            env={**os.environ, "DATABASE_URL": database_url()}, check=True)
    assert result.stdout.splitlines() == ["8", "refused cannot execute DELETE in a read-only transaction"]


def test_the_notebooks_connection_refuses_writes_on_sqlite(tmp_path):
    """The demo's SQLite path: `_db` opens it with PRAGMA query_only, so even a stray write fails."""
    database = tmp_path / "demo.sqlite3"
    script = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('CREATE TABLE t (a)'); "
              "c.execute('INSERT INTO t VALUES (1)'); c.commit()")
    subprocess.run([sys.executable, "-c", script, str(database)], check=True)
    probe = ("import _db; print(_db.read_sql('SELECT a FROM t').to_json());\n"
             "try:\n    _db.read_sql('DELETE FROM t')\nexcept Exception as exc:\n    print('refused', exc)")
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL", "DEBUG")}
    result = subprocess.run([sys.executable, "-c", probe], cwd=NOTEBOOKS, capture_output=True, text=True,
                            env={**env, "SQLITE_PATH": str(database)}, check=True)
    assert result.stdout.splitlines() == ['{"a":{"0":1}}', "refused attempt to write a readonly database"]
