"""Side registers imported like rosters: every kind from CSV and XLSX, row errors, snapshots per scope,
jurisdiction, the command's contract, no whole ID at rest or in the API, and a real worker."""

import csv
import io
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection

from disbursement.accounts.roles import Role
from disbursement.registry import validators
from disbursement.registry.models import SIDE_REGISTERS, DeathRecord, HouseholdMove, LandContract, VillageCadre
from disbursement.registry.side_imports import register_import_execute, register_import_submit
from disbursement.registry.side_specs import SPECS
from disbursement.rosters.models import ImportJob, ImportStatus
from disbursement.rosters.services import imports_requeue
from tests.conftest import CHANGSHA_COUNTY, SHAOSHAN_CITY, XIANGTAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.factories import id_number, roster_xlsx

ROOT = Path(__file__).resolve().parents[2]
V1, V2 = "430321100001", "430321100004"  # villages of 易俗河镇, 湘潭县
SHAOSHAN_VILLAGE = "430382100001"
CHANGSHA_VILLAGE_PREFIX = "430121"


def chinese_header(kind: str) -> list[str]:
    return [column.headers[0] for column in SPECS[kind].columns]


def english_header(kind: str) -> list[str]:
    return [column.name for column in SPECS[kind].columns]


def good_row(kind: str, id_no: str | None = None, **values) -> list[str]:
    """One valid row of a register in its column order; `values` override columns by canonical name."""
    base = {
        "name": "张三", "id_number": id_no or id_number(), "died_on": "2025-11-14", "source": "民政殡葬",
        "village_code": V1, "post": "村委会主任", "term_start": "2021-01-01", "term_end": "",
        "contract_number": f"HT{id_number()[-8:]}", "area_mu": "3.25", "employer": "湘潭县财政局",
        "start": "2015-07-01", "end": "", "plate": "湘C12345", "vehicle_type": "小型轿车",
        "registered_on": "2023-05-06", "enterprise": "湘潭某某农业有限公司", "credit_code": "91430321MA4L0XXX1A",
        "role": "法定代表人", "monthly_yuan": "3250.50", "from_code": V1, "to_code": SHAOSHAN_VILLAGE,
        "moved_on": "2025-03-01",
    }
    base.update(values)
    return [base[column.name] for column in SPECS[kind].columns]


def register_csv(header: list[str], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def imported(kind: str, content: bytes, scope: str = XIANGTAN_COUNTY, actor=None, name: str = "r.csv") -> ImportJob:
    job = register_import_submit(actor=actor, kind=kind, scope_code=scope, content=content, file_name=name,
                                 enqueue=False)
    return register_import_execute(job_id=job.pk)


def problems(job: ImportJob) -> set[tuple]:
    return {(error["row"], error["field"], error["code"]) for error in job.errors}


# ------------------------------------------------------------------------------------------------ accepted


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(SPECS))
def test_every_register_is_accepted_from_a_csv_with_chinese_headers(kind):
    ids = [id_number(), id_number()]
    job = imported(kind, register_csv(chinese_header(kind), [good_row(kind, ids[0]), good_row(kind, ids[1])]))

    assert job.status == ImportStatus.ACCEPTED, job.errors or job.message
    assert job.rows_total == 2
    rows = SIDE_REGISTERS[kind].objects.filter(scope_id=XIANGTAN_COUNTY, job=job)
    assert rows.count() == 2
    assert sorted(rows.values_list("id_masked", flat=True)) == sorted(f"{i[:3]}{'*' * 11}{i[-4:]}" for i in ids)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(SPECS))
def test_every_register_is_accepted_from_xlsx_with_english_aliases(kind):
    job = imported(kind, roster_xlsx([good_row(kind)], header=english_header(kind)), name="r.xlsx")

    assert job.status == ImportStatus.ACCEPTED, job.errors or job.message
    assert SIDE_REGISTERS[kind].objects.filter(job=job).count() == 1


@pytest.mark.django_db
def test_values_land_in_the_register_in_its_units():
    imported("land", register_csv(chinese_header("land"), [good_row("land", area_mu="3.25", contract_number="HT-1")]))
    imported("pensions", register_csv(chinese_header("pensions"), [good_row("pensions", monthly_yuan="3,250.50")]))
    imported("enterprises", register_csv(chinese_header("enterprises"), [good_row("enterprises", role="股东")]))
    imported("cadres", register_csv(chinese_header("cadres"), [good_row("cadres", term_end="2026-12-31")]))

    assert LandContract.objects.get(contract_number="HT-1").area_milli_mu == 3250
    assert SIDE_REGISTERS["pensions"].objects.get().monthly_fen == 325050
    assert SIDE_REGISTERS["enterprises"].objects.get().role == "shareholder"
    cadre = VillageCadre.objects.get()
    assert (cadre.village_id, cadre.term_start, cadre.term_end) == (V1, date(2021, 1, 1), date(2026, 12, 31))


# ------------------------------------------------------------------------------------------------ rejected

FUTURE = (date.today() + timedelta(days=40)).isoformat()
UNKNOWN_VILLAGE = "430321100999"

BAD_ROWS = [
    ("deaths", {"id_number": "430321198001010000"}, "id_number", "excel_number"),
    ("deaths", {"id_number": "43032119800101123"}, "id_number", "bad_format"),
    ("deaths", {"died_on": "2025/11/14"}, "died_on", "bad_format"),
    ("deaths", {"died_on": "2025-02-30"}, "died_on", "bad_date"),
    ("deaths", {"died_on": FUTURE}, "died_on", "future"),
    ("cadres", {"village_code": UNKNOWN_VILLAGE}, "village_code", "unknown"),
    ("cadres", {"village_code": SHAOSHAN_VILLAGE}, "village_code", "outside_scope"),
    ("cadres", {"term_start": "2024-01-01", "term_end": "2023-01-01"}, "term_end", "before_start"),
    ("cadres", {"post": ""}, "post", "required"),
    ("land", {"area_mu": "3.255"}, "area_mu", "too_many_decimals"),
    ("land", {"area_mu": "三亩"}, "area_mu", "not_a_number"),
    ("land", {"village_code": "430321100000"}, "village_code", "unknown"),  # a township, not a village
    ("land", {"village_code": SHAOSHAN_VILLAGE}, "village_code", "outside_scope"),
    ("payroll", {"start": FUTURE}, "start", "future"),
    ("payroll", {"employer": "=cmd()"}, "employer", "formula"),
    ("vehicles", {"registered_on": ""}, "registered_on", "required"),
    ("vehicles", {"plate": "湘C" + "1" * 20}, "plate", "too_long"),
    ("enterprises", {"role": "监事"}, "role", "unknown"),
    ("enterprises", {"credit_code": "91430321MA4L0XXX1"}, "credit_code", "bad_format"),
    ("pensions", {"monthly_yuan": "-10"}, "monthly_yuan", "not_positive"),
    ("pensions", {"monthly_yuan": "1.234"}, "monthly_yuan", "too_many_decimals"),
    ("moves", {"from_code": "439999000000"}, "from_code", "unknown"),
    ("moves", {"from_code": SHAOSHAN_VILLAGE, "to_code": SHAOSHAN_CITY}, "from_code", "outside_scope"),
    ("moves", {"moved_on": FUTURE}, "moved_on", "future"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("kind", "values", "field", "code"), BAD_ROWS)
def test_a_bad_row_rejects_the_whole_file_naming_row_field_and_code(kind, values, field, code):
    rows = [good_row(kind), good_row(kind, **values), good_row(kind)]
    job = imported(kind, register_csv(chinese_header(kind), rows))

    assert job.status == ImportStatus.REJECTED
    assert (2, field, code) in problems(job)
    assert all(error["message"] and error["message"] != error["code"] for error in job.errors)
    assert job.report  # the error report (XLSX) to download
    assert not SIDE_REGISTERS[kind].objects.exists()


@pytest.mark.django_db
def test_every_problem_of_every_row_is_collected():
    rows = [good_row("deaths", died_on="x"), good_row("deaths"), good_row("deaths", id_number="1", died_on=FUTURE)]
    job = imported("deaths", register_csv(chinese_header("deaths"), rows))

    assert problems(job) == {(1, "died_on", "bad_format"), (3, "id_number", "bad_format"), (3, "died_on", "future")}
    assert job.error_count == 3


@pytest.mark.django_db
def test_a_move_with_either_end_inside_the_scope_is_accepted():
    rows = [good_row("moves", from_code=SHAOSHAN_VILLAGE, to_code=V1), good_row("moves", from_code=V2,
                                                                                  to_code=SHAOSHAN_CITY)]
    job = imported("moves", register_csv(chinese_header("moves"), rows))

    assert job.status == ImportStatus.ACCEPTED, job.errors
    assert HouseholdMove.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(SPECS))
def test_a_missing_required_column_is_named_by_field(kind):
    required = next(c for c in SPECS[kind].columns if c.required and c.name not in ("name", "id_number"))
    keep = [i for i, c in enumerate(SPECS[kind].columns) if c.name != required.name]
    header = [chinese_header(kind)[i] for i in keep]
    job = imported(kind, register_csv(header, [[good_row(kind)[i] for i in keep]]))

    assert job.status == ImportStatus.REJECTED
    assert problems(job) == {(None, required.name, "missing_column")}


@pytest.mark.django_db
def test_duplicates_in_the_file_and_keys_held_by_another_scope_are_rejected():
    person = id_number()
    deaths = imported("deaths", register_csv(chinese_header("deaths"), [good_row("deaths", person),
                                                                          good_row("deaths", person)]))
    assert (2, "id_number", "duplicate_in_file") in problems(deaths)

    assert imported("land", register_csv(chinese_header("land"), [good_row("land", contract_number="HT-7")]),
                    scope=XIANGTAN_CITY).status == ImportStatus.ACCEPTED
    land = imported("land", register_csv(chinese_header("land"), [good_row("land", contract_number="HT-7")]))
    assert problems(land) == {(1, "contract_number", "other_scope")}


# ------------------------------------------------------------------------------------------- snapshots


@pytest.mark.django_db
def test_reimporting_replaces_the_scopes_rows_but_not_another_scopes():
    header = chinese_header("deaths")
    imported("deaths", register_csv(header, [good_row("deaths"), good_row("deaths")]), scope=XIANGTAN_COUNTY)
    shaoshan = imported("deaths", register_csv(header, [good_row("deaths", id_number("430382"))]), scope=SHAOSHAN_CITY)
    kept = id_number()
    again = imported("deaths", register_csv(header, [good_row("deaths", kept)]), scope=XIANGTAN_COUNTY)

    assert again.status == ImportStatus.ACCEPTED
    assert list(DeathRecord.objects.filter(scope_id=XIANGTAN_COUNTY).values_list("job_id", flat=True)) == [again.pk]
    assert list(DeathRecord.objects.filter(scope_id=SHAOSHAN_CITY).values_list("job_id", flat=True)) == [shaoshan.pk]
    assert "replace the 2 row(s)" in again.message


@pytest.mark.django_db
def test_a_rejected_reimport_leaves_the_scopes_rows_as_they_were():
    header = chinese_header("deaths")
    first = imported("deaths", register_csv(header, [good_row("deaths")]))
    imported("deaths", register_csv(header, [good_row("deaths", died_on=FUTURE)]))

    assert list(DeathRecord.objects.values_list("job_id", flat=True)) == [first.pk]


@pytest.mark.django_db
def test_running_a_job_twice_imports_once():
    job = register_import_submit(actor=None, kind="deaths", scope_code=XIANGTAN_COUNTY, file_name="d.csv",
                                 content=register_csv(chinese_header("deaths"), [good_row("deaths")]), enqueue=False)
    register_import_execute(job_id=job.pk)
    register_import_execute(job_id=job.pk)

    assert DeathRecord.objects.count() == 1
    assert ImportJob.objects.get(pk=job.pk).attempts == 1


# ---------------------------------------------------------------------------------------- who may import


@pytest.mark.django_db
def test_register_imports_are_scoped_to_the_uploaders_jurisdiction(make_user, api_client):
    finance = make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)
    other = make_user(Role.COUNTY_FINANCE, CHANGSHA_COUNTY)
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    content = register_csv(chinese_header("deaths"), [good_row("deaths")])

    def post(user, scope):
        return api_client(user).post("/api/v1/registers/imports", {
            "kind": "deaths", "scope": scope, "file": SimpleUploadedFile("d.csv", content)})

    assert post(other, XIANGTAN_COUNTY).status_code == 403
    assert post(finance, XIANGTAN_CITY).status_code == 403  # above his county
    assert post(clerk, XIANGTAN_COUNTY).status_code == 403  # clerks do not hold these registers
    assert post(finance, YISUHE_TOWN).json()["field"] == "scope"  # a township is not a register's scope
    response = post(finance, XIANGTAN_COUNTY)
    assert response.status_code == 202
    job_id = response.json()["id"]
    assert api_client(other).get(f"/api/v1/registers/imports/{job_id}").status_code == 404


@pytest.mark.django_db
def test_each_user_reads_only_the_register_rows_of_his_jurisdiction(make_user, api_client):
    imported("deaths", register_csv(chinese_header("deaths"), [good_row("deaths")]), scope=XIANGTAN_COUNTY)
    imported("cadres", register_csv(chinese_header("cadres"), [good_row("cadres", village_code=V1)]),
             scope="430000000000")

    xiangtan = api_client(make_user(Role.SUPERVISOR, XIANGTAN_COUNTY))
    changsha = api_client(make_user(Role.SUPERVISOR, CHANGSHA_COUNTY))
    assert xiangtan.get("/api/v1/registers/deaths").json()["count"] == 1
    assert changsha.get("/api/v1/registers/deaths").json()["count"] == 0
    # a province-wide cadre register: each county sees its own villages' cadres
    assert xiangtan.get("/api/v1/registers/cadres").json()["count"] == 1
    assert changsha.get("/api/v1/registers/cadres").json()["count"] == 0
    assert xiangtan.get("/api/v1/registers/nothing").status_code == 404


# ------------------------------------------------------------------------------------------- the command


@pytest.mark.django_db
def test_the_command_prints_the_outcome_as_json_and_exits_by_status(tmp_path, capsys):
    good = tmp_path / "deaths.csv"
    good.write_bytes(register_csv(chinese_header("deaths"), [good_row("deaths"), good_row("deaths")]))
    call_command("import_register", "deaths", str(good), "--scope", XIANGTAN_COUNTY, "--json")
    assert json.loads(capsys.readouterr().out) == {"status": "accepted", "rows": 2, "errors": []}

    bad = tmp_path / "land.xlsx"
    bad.write_bytes(roster_xlsx([good_row("land"), good_row("land", area_mu="0")], header=english_header("land")))
    with pytest.raises(SystemExit) as exit_:
        call_command("import_register", "land", str(bad), "--scope", XIANGTAN_COUNTY, "--json")
    assert exit_.value.code == 1
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "rejected" and out["rows"] == 2
    assert [{k: e[k] for k in ("row", "field", "code")} for e in out["errors"]] == [
        {"row": 2, "field": "area_mu", "code": "not_positive"}]
    assert set(out["errors"][0]) == {"row", "field", "code", "message"}


@pytest.mark.django_db
def test_the_command_defaults_to_the_province_and_rejects_a_township_scope(tmp_path, capsys):
    path = tmp_path / "p.csv"
    path.write_bytes(register_csv(english_header("pensions"), [good_row("pensions")]))
    call_command("import_register", "pensions", str(path))
    assert capsys.readouterr().out.startswith("accepted: 1 rows")
    assert SIDE_REGISTERS["pensions"].objects.get().scope_id == "430000000000"

    with pytest.raises(SystemExit):
        call_command("import_register", "pensions", str(path), "--scope", YISUHE_TOWN, "--json")
    assert json.loads(capsys.readouterr().out)["errors"][0]["field"] == "scope"


@pytest.mark.django_db(transaction=True)
def test_the_command_as_a_process_exits_0_when_accepted_and_1_when_rejected(reference_in_transactional_db, tmp_path):
    database = connection.settings_dict
    env = {**os.environ, "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/"
                                         f"{database['NAME']}", "REDIS_URL": ""}
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(register_csv(chinese_header("vehicles"), [good_row("vehicles")]))
    bad.write_bytes(register_csv(chinese_header("vehicles"), [good_row("vehicles", registered_on=FUTURE)]))

    def run(path):
        return subprocess.run([sys.executable, "manage.py", "import_register", "vehicles", str(path), "--json",
                               "--scope", XIANGTAN_COUNTY], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120)

    accepted, rejected = run(good), run(bad)
    assert accepted.returncode == 0, accepted.stderr
    assert json.loads(accepted.stdout) == {"status": "accepted", "rows": 1, "errors": []}
    assert rejected.returncode == 1
    assert json.loads(rejected.stdout)["errors"][0]["code"] == "future"


# --------------------------------------------------------------------------------------- personal numbers


@pytest.mark.django_db
@pytest.mark.parametrize("kind", sorted(SPECS))
def test_whole_ids_are_stored_only_as_cipher_hash_and_mask(kind, make_user, api_client):
    whole = id_number()
    imported(kind, register_csv(chinese_header(kind), [good_row(kind, whole)]))

    table = SIDE_REGISTERS[kind]._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        cells = [str(cell) for row in cursor.fetchall() for cell in row]
    assert cells and not any(whole in cell for cell in cells)
    from disbursement import pii

    assert pii.decrypt(SIDE_REGISTERS[kind].objects.get().id_cipher) == whole
    body = api_client(make_user(Role.SUPERVISOR, XIANGTAN_COUNTY)).get(f"/api/v1/registers/{kind}").content.decode()
    assert whole not in body and f"{whole[:3]}{'*' * 11}{whole[-4:]}" in body
    assert "张三" not in body  # names masked too


# ------------------------------------------------------------------------------------------ API and pages


@pytest.mark.django_db
def test_an_upload_through_the_api_reports_progress_errors_and_rows(make_user, api_client):
    finance = make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)
    client = api_client(finance)
    bad = register_csv(chinese_header("land"), [good_row("land", village_code=SHAOSHAN_VILLAGE)])
    response = client.post("/api/v1/registers/imports", {"kind": "land", "scope": XIANGTAN_COUNTY,
                                                         "file": SimpleUploadedFile("land.csv", bad)})
    assert response.status_code == 202
    body = response.json()
    assert (body["kind"], body["scope"], body["status"]) == ("land", XIANGTAN_COUNTY, "queued")
    register_import_execute(job_id=body["id"])

    job = client.get(f"/api/v1/registers/imports/{body['id']}").json()
    assert job["status"] == "rejected"
    assert job["errors"] == [{"row": 1, "field": "village_code", "code": "outside_scope",
                              "message": "This village lies outside the region the file covers."}]
    assert client.get(job["report_url"]).status_code == 200

    imported("land", register_csv(chinese_header("land"), [good_row("land", area_mu="2.5")]))
    rows = client.get("/api/v1/registers/land").json()
    assert rows["count"] == 1
    assert rows["items"][0]["area_mu"] == "2.5" and rows["items"][0]["village_code"] == V1


@pytest.mark.django_db
def test_the_registers_page_uploads_and_shows_the_import(make_user, page_client):
    supervisor = make_user(Role.SUPERVISOR, XIANGTAN_CITY)
    client = page_client(supervisor)
    page = client.get("/registers/")
    assert page.status_code == 200
    assert XIANGTAN_COUNTY in page.content.decode() and CHANGSHA_COUNTY not in page.content.decode()

    content = register_csv(chinese_header("deaths"), [good_row("deaths", died_on=FUTURE)])
    response = client.post("/registers/", {"kind": "deaths", "scope": XIANGTAN_COUNTY,
                                           "file": SimpleUploadedFile("d.csv", content)})
    assert response.status_code == 302
    job = ImportJob.objects.get(kind="deaths")
    register_import_execute(job_id=job.pk)
    detail = client.get(response["Location"]).content.decode()
    assert "died_on" in detail and "This date lies in the future" in detail
    assert page_client(make_user(Role.SUPERVISOR, CHANGSHA_COUNTY)).get(response["Location"]).status_code == 404
    assert page_client(make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)).post("/registers/", {
        "kind": "deaths", "scope": XIANGTAN_COUNTY, "file": SimpleUploadedFile("d.csv", content)}).status_code == 200
    assert ImportJob.objects.filter(kind="deaths").count() == 1


# ------------------------------------------------------------------------------------ the sweep, a worker


@pytest.mark.django_db
def test_the_sweep_requeues_a_lost_register_job_to_the_register_task(settings):
    job = register_import_submit(actor=None, kind="deaths", scope_code=XIANGTAN_COUNTY, file_name="d.csv",
                                 content=register_csv(chinese_header("deaths"), [good_row("deaths")]), enqueue=False)
    ImportJob.objects.filter(pk=job.pk).update(created_at=job.created_at - timedelta(hours=1))
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from backend.celery import app

    app.conf.task_always_eager = True
    try:
        assert imports_requeue() == [job.pk]
    finally:
        app.conf.task_always_eager = False
    assert ImportJob.objects.get(pk=job.pk).status == ImportStatus.ACCEPTED
    assert DeathRecord.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_runs_the_register_import_from_the_redis_broker(reference_in_transactional_db,
                                                                              make_user, api_client):
    from celery.contrib.testing.worker import start_worker

    from backend.celery import app

    client = api_client(make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY))
    content = register_csv(chinese_header("cadres"), [good_row("cadres"), good_row("cadres", village_code=V2)])
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        response = client.post("/api/v1/registers/imports", {"kind": "cadres", "scope": XIANGTAN_COUNTY,
                                                             "file": SimpleUploadedFile("c.csv", content)})
        assert response.status_code == 202
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = client.get(f"/api/v1/registers/imports/{response.json()['id']}").json()
            if state["status"] in ("accepted", "rejected", "failed"):
                break
            time.sleep(0.2)
    assert state["status"] == "accepted", state
    assert VillageCadre.objects.count() == 2


# ------------------------------------------------------------------------------------------ the validator


def test_the_date_validator_agrees_with_its_reference_on_generated_values():
    rng = np.random.default_rng(7)
    today = date(2026, 11, 29)
    years = rng.integers(1890, 2030, 20_000)
    months = rng.integers(0, 14, 20_000)
    days = rng.integers(0, 33, 20_000)
    values = [f"{y:04d}-{m:02d}-{d:02d}" for y, m, d in zip(years, months, days, strict=True)]
    values += ["", " 2024-02-29 ", "2023-02-29", "2024-2-29", "２０２４-０１-０１", "2024-01-01 00:00:00", "abc"]
    raw = pd.Series(values)
    for required in (True, False):
        bulk = validators.dates(raw, required=required, not_after=today)
        reference = [validators.date_reference(v, required=required, not_after=today) for v in values]
        assert list(zip(bulk["value"], bulk["error"], strict=True)) == reference


# ----------------------------------------------------------------------------------- what others rely on


@pytest.mark.django_db
def test_an_accepted_import_queues_the_targeted_scan_on_commit_and_a_rejected_one_does_not(
        django_capture_on_commit_callbacks):
    from disbursement.registry.side_imports import risk_scan_queue

    with django_capture_on_commit_callbacks() as accepted:
        imported("deaths", register_csv(chinese_header("deaths"), [good_row("deaths")]), scope=SHAOSHAN_CITY)
    with django_capture_on_commit_callbacks() as rejected:
        imported("deaths", register_csv(chinese_header("deaths"), [good_row("deaths", died_on=FUTURE)]))

    assert [(c.func, c.args) for c in accepted] == [(risk_scan_queue, ("deaths", SHAOSHAN_CITY))]
    assert rejected == []


@pytest.mark.django_db
def test_a_cadre_whose_term_ended_before_the_period_ends_is_not_serving_for_roster_eligibility():
    from disbursement.rosters.services import import_job_execute, roster_import_submit
    from tests.factories import card_number, roster_csv, roster_row

    serving, former = id_number(), id_number()
    imported("cadres", register_csv(chinese_header("cadres"), [
        good_row("cadres", serving, term_end=""), good_row("cadres", former, term_end="2025-06-30")]))
    roster = roster_csv([roster_row("张三", serving, card_number(), V1), roster_row("李四", former, card_number(), V1)])
    job = roster_import_submit(actor=None, content=roster, file_name="r.csv", item_code="1428",
                               township_code=YISUHE_TOWN, period="2025", enqueue=False)
    job = import_job_execute(job_id=job.pk)

    assert problems(job) == {(2, "eligibility", "attribute")}


@pytest.mark.django_db(transaction=True)
def test_two_imports_racing_for_one_scope_leave_exactly_one_snapshot(reference_in_transactional_db):
    import threading

    from disbursement.registry.models import PayrollRecord

    header = chinese_header("payroll")
    jobs = [register_import_submit(actor=None, kind="payroll", scope_code=XIANGTAN_COUNTY, file_name=f"p{n}.csv",
                                   content=register_csv(header, [good_row("payroll") for _ in range(n)]),
                                   enqueue=False) for n in (30, 20)]
    barrier = threading.Barrier(2)

    def run(job_id):
        barrier.wait()
        try:
            register_import_execute(job_id=job_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job.pk,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(ImportJob.objects.values_list("status", flat=True)) == [ImportStatus.ACCEPTED] * 2
    winners = set(PayrollRecord.objects.values_list("job_id", flat=True))
    assert len(winners) == 1
    assert PayrollRecord.objects.count() == ImportJob.objects.get(pk=winners.pop()).rows_total


@pytest.mark.django_db
def test_excel_date_cells_and_numbers_typed_as_numbers_are_read_as_written():
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(english_header("land"))
    book.active.append(["张三", id_number(), V1, "HT-9", 3.25])
    buffer = io.BytesIO()
    book.save(buffer)
    assert imported("land", buffer.getvalue(), name="l.xlsx").status == ImportStatus.ACCEPTED
    assert LandContract.objects.get().area_milli_mu == 3250

    book = Workbook()
    book.active.append(chinese_header("vehicles"))
    book.active.append(["李四", id_number(), "湘C1", "小型轿车", datetime(2023, 5, 6)])
    buffer = io.BytesIO()
    book.save(buffer)
    assert imported("vehicles", buffer.getvalue(), name="v.xlsx").status == ImportStatus.ACCEPTED
    assert SIDE_REGISTERS["vehicles"].objects.get().registered_on == date(2023, 5, 6)
