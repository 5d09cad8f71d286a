"""Scans: idempotent alerts, dismissals that teach, region and roster scopes, the pre-payment check, the targeted
scan after a register import, the commands' JSON contract and the rule settings in the admin."""

import io
import json
import threading
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from disbursement.accounts.roles import Role
from disbursement.alerts.models import Alert, AlertStatus
from disbursement.audit.models import AuditEvent
from disbursement.risk.admin import RuleSettingForm
from disbursement.risk.base import RULES, Scope
from disbursement.risk.models import RuleSetting
from disbursement.risk.services import risk_scan, risk_scan_targeted, roster_precheck, rule_thresholds
from disbursement.risk.tasks import risk_scan_run, risk_scan_targeted_run
from disbursement.rosters.models import RosterStatus
from tests.conftest import SHAOSHAN_CITY
from tests.disbursement import risk_builders as b

pytestmark = pytest.mark.django_db


def paid_after_death(name="李四", village=b.YISUHE_VILLAGE, died_on=date(2026, 3, 1)):
    dead = b.person(name, village=village)
    township = b.township_of(village)
    line, paid = b.paid_line(b.roster(township=township), dead, settled_on=date(2026, 3, 10))
    b.death(dead, died_on)
    return dead, line, paid


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_a_scan_run_twice_keeps_the_same_alerts_with_the_same_facts():
    paid_after_death()
    chief = b.person("王五")
    b.line(b.roster("0401", status=RosterStatus.FINANCE_APPROVED, period="2026-04"), chief)
    b.cadre(chief)
    first = risk_scan()
    before = {a.pk: (a.evidence, a.status, a.facts_hash) for a in Alert.objects.all()}
    second = risk_scan()
    assert sorted(second.alert_ids) == sorted(first.alert_ids) and second.created_ids == []
    assert {a.pk: (a.evidence, a.status, a.facts_hash) for a in Alert.objects.all()} == before
    assert Alert.objects.filter(rule="D1").count() == 1


def test_a_dismissed_alert_stays_dismissed_on_the_same_facts_and_fires_again_when_they_change():
    dead, _line, _paid = paid_after_death()
    [alert_id] = risk_scan(codes=["D1"]).alert_ids
    Alert.objects.filter(pk=alert_id).update(status=AlertStatus.DISMISSED)
    assert risk_scan(codes=["D1"]).reopened_ids == []
    assert Alert.objects.get(pk=alert_id).status == AlertStatus.DISMISSED
    b.death(dead, date(2026, 2, 1), source="公安户籍注销")  # an earlier death: the facts change
    outcome = risk_scan(codes=["D1"])
    assert outcome.reopened_ids == [alert_id]
    alert = Alert.objects.get(pk=alert_id)
    assert alert.status == AlertStatus.NEW and alert.evidence["died_on"] == "2026-02-01"


def test_a_region_scan_raises_alerts_only_for_subjects_inside_that_region():
    paid_after_death("湘潭人", village=b.YISUHE_VILLAGE)
    paid_after_death("韶山人", village=b.QINGXI_VILLAGE)
    outcome = risk_scan(codes=["D1"], scope=Scope(region_code=SHAOSHAN_CITY))
    assert outcome.counts == {"D1": 1}
    assert list(Alert.objects.values_list("region_id", flat=True)) == [b.QINGXI_VILLAGE]


def test_a_scan_leaves_one_audit_record_with_its_counts_per_rule():
    paid_after_death()
    risk_scan(codes=["D1", "U1"])
    [event] = AuditEvent.objects.filter(action="risk.scan")
    assert event.detail["counts"] == {"D1": 1, "U1": 0} and event.detail["created"] == 1


def test_a_disabled_rule_does_not_run_and_an_overridden_threshold_applies():
    paid_after_death(died_on=date(2026, 3, 5))
    RuleSetting.objects.create(code="D1", thresholds={"grace_days": 10})
    assert rule_thresholds("D1") == {"grace_days": 10}
    assert risk_scan(codes=["D1"]).counts == {"D1": 0}
    RuleSetting.objects.filter(code="D1").update(enabled=False, thresholds={})
    assert "D1" not in risk_scan().counts


def test_precheck_returns_the_rosters_lines_with_an_open_high_alert_and_releases_them_once_dismissed():
    roster = b.roster("0401", status=RosterStatus.DEPARTMENT_APPROVED)
    dead, chief, clean = b.person("已故"), b.person("村主任"), b.person("村民")
    dead_line, chief_line, _clean_line = b.line(roster, dead), b.line(roster, chief), b.line(roster, clean)
    b.death(dead, date(2026, 1, 5))
    b.cadre(chief)  # C1 is medium: an alert, but no hold
    assert roster_precheck(roster_id=roster.pk) == {dead_line.pk}
    assert Alert.objects.filter(rule="C1", subjects__ref=str(chief_line.pk)).exists()
    Alert.objects.filter(rule="D2").update(status=AlertStatus.DISMISSED)
    assert roster_precheck(roster_id=roster.pk) == set()


def test_precheck_holds_a_line_claimed_again_in_another_township_or_for_a_once_only_item_paid_before():
    twice, funeral = b.person("两地"), b.person("丧葬")
    b.paid_line(b.roster("0401", township=b.township_of(b.TANJIASHAN_VILLAGE)), twice, is_void=True,
                village=b.TANJIASHAN_VILLAGE)
    b.paid_line(b.roster("0512", period="2025"), funeral, amount_fen=200_000)
    monthly = b.roster("0401", status=RosterStatus.FINANCE_APPROVED)
    once = b.roster("0512", period="2026", status=RosterStatus.FINANCE_APPROVED)
    again, others = b.line(monthly, twice), b.line(monthly, b.person("村民"))
    funeral_again = b.line(once, funeral, amount_fen=200_000)
    assert roster_precheck(roster_id=monthly.pk) == {again.pk}
    assert roster_precheck(roster_id=once.pk) == {funeral_again.pk}
    assert others.pk not in roster_precheck(roster_id=monthly.pk)


def test_the_targeted_scan_after_a_death_record_finds_the_payment_made_after_it():
    dead = b.person("李四")
    _line, paid = b.paid_line(b.roster(), dead, settled_on=date(2026, 3, 10))
    assert risk_scan(codes=["D1"]).alert_ids == []
    b.death(dead, date(2026, 2, 1))
    outcome = risk_scan_targeted(kind="deaths", scope_code="430321000000")
    assert set(outcome.counts) == {code for code, rule in RULES.items() if "deaths" in rule.needs}
    [alert] = Alert.objects.filter(rule="D1")
    assert alert.subjects.get(kind="payment").ref == str(paid.pk)


def test_the_periodic_and_targeted_tasks_run_their_scans():
    paid_after_death()
    risk_scan_run()
    assert Alert.objects.filter(rule="D1").count() == 1
    risk_scan_targeted_run("deaths", "430321000000")
    assert Alert.objects.filter(rule="D1").count() == 1
    assert AuditEvent.objects.filter(action="risk.scan").count() == 2


def test_risk_rules_json_lists_every_rule_with_its_contract_fields():
    RuleSetting.objects.create(code="K6", enabled=False)
    rules = json.loads(run("risk_rules", "--json"))
    assert {r["code"] for r in rules} == set(RULES)
    d1 = next(r for r in rules if r["code"] == "D1")
    assert d1 == {"code": "D1", "name": "死亡人员领取", "family": "death", "severity": "high", "enabled": True,
                  "needs": ["deaths", "payments"]}
    assert next(r for r in rules if r["code"] == "K6")["enabled"] is False


def test_risk_scan_json_lists_open_alerts_with_line_and_payment_subjects_and_keeps_ids_on_a_rerun():
    _dead, line, paid = paid_after_death()
    pending = b.line(b.roster("0404", status=RosterStatus.FINANCE_APPROVED), line.person)  # U3 with the 0401 line
    first = json.loads(run("risk_scan", "--json"))["alerts"]
    d1 = next(a for a in first if a["rule"] == "D1")
    assert set(d1) == {"id", "rule", "severity", "status", "region", "amount_yuan", "subjects", "evidence"}
    assert d1["amount_yuan"] == "500.00" and d1["severity"] == "high" and d1["status"] == "new"
    payment = next(s for s in d1["subjects"] if s["kind"] == "payment")
    assert payment == {"kind": "payment", "ref": str(paid.pk), "roster_id": line.roster_id, "row": line.row_number,
                       "payment_reference": paid.reference}
    u3 = next(a for a in first if a["rule"] == "U3")
    lines = {s["ref"]: s for s in u3["subjects"] if s["kind"] == "line"}
    assert lines[str(pending.pk)]["roster_id"] == pending.roster_id and lines[str(pending.pk)]["row"] == 2
    second = json.loads(run("risk_scan", "--json"))["alerts"]
    assert [a["id"] for a in second] == [a["id"] for a in first]


def test_risk_scan_with_a_region_lists_only_that_regions_alerts_and_refuses_an_unknown_region():
    paid_after_death("湘潭人", village=b.YISUHE_VILLAGE)
    paid_after_death("韶山人", village=b.QINGXI_VILLAGE)
    run("risk_scan")
    shown = json.loads(run("risk_scan", "--region", SHAOSHAN_CITY, "--json"))["alerts"]
    assert {a["region"] for a in shown} == {b.QINGXI_VILLAGE}
    with pytest.raises(CommandError):
        run("risk_scan", "--region", "439999000000")
    with pytest.raises(CommandError):
        run("risk_scan", "--region", "4303")


def test_the_rule_setting_form_refuses_an_unknown_threshold_and_a_wrong_type():
    setting = RuleSetting.objects.create(code="D1")
    unknown = RuleSettingForm({"enabled": True, "thresholds": json.dumps({"grace": 3})}, instance=setting)
    wrong_type = RuleSettingForm({"enabled": True, "thresholds": json.dumps({"grace_days": "3"})}, instance=setting)
    good = RuleSettingForm({"enabled": True, "thresholds": json.dumps({"grace_days": 3})}, instance=setting)
    assert "thresholds" in unknown.errors and "thresholds" in wrong_type.errors
    assert good.is_valid(), good.errors


def test_the_province_admin_sees_every_rule_in_the_admin_and_may_change_it(make_user, page_client):
    admin = make_user(Role.PROVINCE_ADMIN, "430000000000")
    client = page_client(admin)
    listing = client.get("/admin/disbursement/rulesetting/")
    assert listing.status_code == 200
    assert RuleSetting.objects.count() == len(RULES)
    assert "死亡人员领取" in listing.content.decode()
    response = client.post("/admin/disbursement/rulesetting/D1/change/",
                           {"enabled": "on", "thresholds": json.dumps({"grace_days": 2})})
    assert response.status_code == 302
    assert rule_thresholds("D1") == {"grace_days": 2}
    refused = client.post("/admin/disbursement/rulesetting/D1/change/",
                          {"enabled": "on", "thresholds": json.dumps({"nonsense": 2})})
    assert refused.status_code == 200 and rule_thresholds("D1") == {"grace_days": 2}


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_raise_each_alert_once(reference_in_transactional_db):
    paid_after_death()
    barrier = threading.Barrier(2)
    errors = []

    def scan():
        barrier.wait()
        try:
            risk_scan(codes=["D1", "D2"])
        except Exception as exc:  # noqa: BLE001 — the test reports whatever a racing scan raised
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert Alert.objects.filter(rule="D1").count() == 1
    assert Alert.objects.get(rule="D1").subjects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_death_register_imported_through_the_api_finds_a_payment_after_that_death_with_a_real_worker(
        reference_in_transactional_db, make_user, api_client):
    """The whole path the issue asks for: upload a death register, a real Celery worker imports it from the Redis
    broker and then runs the targeted scan it queues, and the alert stands against the payment at once."""
    import time

    from celery.contrib.testing.worker import start_worker
    from django.core.files.uploadedfile import SimpleUploadedFile

    from backend.celery import app

    payee = b.person("王五")
    b.card(payee)
    _line, paid = b.paid_line(b.roster("0401"), payee)  # paid 2026-03-10
    deaths = f"姓名,身份证号,死亡日期,来源\n王五,{payee.id_number},2026-02-01,民政殡葬\n".encode()
    client = api_client(make_user("county_finance", "430321000000"))
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        response = client.post("/api/v1/registers/imports", {
            "kind": "deaths", "scope": "430321000000", "file": SimpleUploadedFile("deaths.csv", deaths)})
        assert response.status_code == 202, response.content
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Alert.objects.filter(rule="D1").exists():
            time.sleep(0.2)
    assert client.get(f"/api/v1/registers/imports/{response.json()['id']}").json()["status"] == "accepted"
    alert = Alert.objects.get(rule="D1")
    assert alert.subjects.get(kind="payment").ref == str(paid.pk)
    assert "2026-02-01" in alert.summary and payee.id_number not in str(alert.evidence)
