"""Alerts worked to closure: the lifecycle and its guards, roles and jurisdiction, escalation, the inbox and
notices, the queue's filters, counts and export, and the JSON API — on PostgreSQL, through the real services."""

import io
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from openpyxl import load_workbook

from disbursement.accounts.roles import Role
from disbursement.alerts import selectors, services
from disbursement.alerts.models import Alert, AlertEvent, AlertStatus, InboxEntry
from disbursement.alerts.services import alerts_upsert
from disbursement.audit.models import AuditEvent
from disbursement.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from disbursement.notifications.models import Notice
from tests.conftest import (
    QINGXI_TOWN,
    SHAOSHAN_CITY,
    TANJIASHAN_TOWN,
    XIANGTAN_CITY,
    XIANGTAN_COUNTY,
    YISUHE_TOWN,
)
from tests.disbursement.alert_builders import VILLAGE, finding, raise_alert

PROVINCE = "430000000000"


@pytest.fixture
def people(make_user):
    return {
        "supervisor": make_user(Role.SUPERVISOR, XIANGTAN_COUNTY, email="sup@example.cn"),
        "supervisor2": make_user(Role.SUPERVISOR, XIANGTAN_COUNTY, email="sup2@example.cn"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY, email="fin@example.cn"),
        "city": make_user(Role.SUPERVISOR, XIANGTAN_CITY, email="city@example.cn"),
        "province": make_user(Role.SUPERVISOR, PROVINCE, email="prov@example.cn"),
        "admin": make_user(Role.PROVINCE_ADMIN, PROVINCE),
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN, email="clerk@example.cn"),
        "other_clerk": make_user(Role.TOWNSHIP_CLERK, TANJIASHAN_TOWN),
        "far_clerk": make_user(Role.TOWNSHIP_CLERK, QINGXI_TOWN),
        "far_supervisor": make_user(Role.SUPERVISOR, SHAOSHAN_CITY, email="far@example.cn"),
        "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
    }


def status(alert_id):
    return Alert.objects.get(pk=alert_id).status


@pytest.mark.django_db
def test_an_alert_is_worked_from_new_to_closed_with_every_step_recorded(people):
    alert_id = raise_alert()
    sup, clerk = people["supervisor"], people["clerk"]
    services.alert_assign(actor=sup, alert_id=alert_id, assignee_id=clerk.pk)
    assert InboxEntry.objects.filter(user=clerk, alert_id=alert_id, reason="assigned").exists()
    services.alert_verify(actor=clerk, alert_id=alert_id, note="去村里核实")
    services.alert_note(actor=clerk, alert_id=alert_id, note="村委会证实已去世")
    services.alert_confirm(actor=sup, alert_id=alert_id, finding="死亡后仍领取")
    services.alert_rectify(actor=sup, alert_id=alert_id, recovery_due_yuan="500.00",
                           measures=["stop_payment", "recovery_order"])
    services.alert_recover(actor=people["finance"], alert_id=alert_id, amount_yuan="200")
    services.alert_recover(actor=sup, alert_id=alert_id, amount_yuan="300.00")
    alert = services.alert_close(actor=sup, alert_id=alert_id)
    assert (alert.status, alert.recovery_due_fen, alert.recovered_fen, alert.finding) == (
        AlertStatus.CLOSED, 50_000, 50_000, "死亡后仍领取")
    assert alert.closed_at is not None and alert.assignee_id == clerk.pk
    assert list(AlertEvent.objects.filter(alert_id=alert_id).values_list("action", "to_status")) == [
        ("raised", "new"), ("assign", "assigned"), ("verify", "verifying"), ("note", "verifying"),
        ("confirm", "confirmed"), ("rectify", "rectifying"), ("recover", "rectifying"), ("recover", "rectifying"),
        ("close", "closed")]
    audited = list(AuditEvent.objects.filter(object_type="disbursement.alert", object_id=str(alert_id))
                   .order_by("seq").values_list("action", "actor_id"))
    assert audited[0] == ("alert_assign", sup.pk) and audited[-1] == ("alert_close", sup.pk)
    assert len(audited) == 8


@pytest.mark.django_db
@pytest.mark.parametrize(("moves", "refused"), [
    ([], ("confirm", {"finding": "x"})),
    ([], ("close", {})),
    ([], ("rectify", {"recovery_due_yuan": "1", "measures": ["stop_payment"]})),
    (["verify", "confirm"], ("dismiss", {"reason": "x"})),
    (["verify", "confirm"], ("verify", {})),
    (["verify"], ("recover", {"amount_yuan": "1"})),
    (["dismiss"], ("verify", {})),
    (["dismiss"], ("assign", {"assignee_id": 0})),
])
def test_a_step_out_of_order_is_refused_as_a_conflict(people, moves, refused):
    alert_id = raise_alert()
    sup = people["supervisor"]
    arguments = {"verify": {}, "confirm": {"finding": "违规"}, "dismiss": {"reason": "误报"}}
    for move in moves:
        services.ACTIONS[move](actor=sup, alert_id=alert_id, **arguments[move])
    before = status(alert_id)
    action, kwargs = refused
    with pytest.raises(Conflict):
        services.ACTIONS[action](actor=sup, alert_id=alert_id, **kwargs)
    assert status(alert_id) == before


@pytest.mark.django_db
def test_a_township_clerk_answers_verification_but_cannot_decide(people):
    alert_id = raise_alert()
    clerk, sup = people["clerk"], people["supervisor"]
    with pytest.raises(PermissionDenied):
        services.alert_verify(actor=clerk, alert_id=alert_id)  # not assigned to the clerk
    services.alert_verify(actor=sup, alert_id=alert_id)
    services.alert_note(actor=clerk, alert_id=alert_id, note="核实结果：属实")
    for action, kwargs in [("confirm", {"finding": "x"}), ("dismiss", {"reason": "x"})]:
        with pytest.raises(PermissionDenied):
            services.ACTIONS[action](actor=clerk, alert_id=alert_id, **kwargs)
    services.alert_confirm(actor=sup, alert_id=alert_id, finding="属实")
    with pytest.raises(PermissionDenied):  # a clerk's note only while verifying
        services.alert_note(actor=clerk, alert_id=alert_id, note="再补充")
    assert status(alert_id) == AlertStatus.CONFIRMED


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["other_clerk", "far_clerk", "far_supervisor"])
def test_an_alert_outside_the_users_region_is_not_found(people, who):
    alert_id = raise_alert()
    with pytest.raises(NotFound):
        services.alert_verify(actor=people[who], alert_id=alert_id)
    with pytest.raises(NotFound):
        selectors.alert_detail(actor=people[who], alert_id=alert_id)
    assert not selectors.alert_queue(actor=people[who]).filter(pk=alert_id).exists()


@pytest.mark.django_db
def test_who_sees_the_queue(people):
    alert_id = raise_alert()
    for who in ("supervisor", "finance", "city", "province", "admin", "clerk"):
        assert list(selectors.alert_queue(actor=people[who]).values_list("pk", flat=True)) == [alert_id], who
    with pytest.raises(PermissionDenied):
        selectors.alert_queue(actor=people["department"])
    with pytest.raises(PermissionDenied):  # the provincial administrator sees all but does not work alerts
        services.alert_verify(actor=people["admin"], alert_id=alert_id)


@pytest.mark.django_db
def test_assigning_to_someone_outside_the_alerts_region_is_refused(people):
    alert_id = raise_alert()
    for who in ("other_clerk", "far_supervisor", "department"):
        with pytest.raises(ValidationFailed):
            services.alert_assign(actor=people["supervisor"], alert_id=alert_id, assignee_id=people[who].pk)
    assert status(alert_id) == AlertStatus.NEW


def _race(targets):
    barrier = threading.Barrier(len(targets))
    outcomes = []

    def run(target):
        barrier.wait()
        try:
            target()
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_supervisors_confirming_at_once_one_wins_and_one_event_is_written(reference_in_transactional_db,
                                                                               people):
    alert_id = raise_alert()
    services.alert_verify(actor=people["supervisor"], alert_id=alert_id)
    outcomes = _race([
        lambda who=who: services.alert_confirm(actor=people[who], alert_id=alert_id, finding=f"{who} 认定违规")
        for who in ("supervisor", "supervisor2")
    ])
    assert sorted(outcomes) == ["conflict", "ok"]
    assert AlertEvent.objects.filter(alert_id=alert_id, action="confirm").count() == 1
    assert AuditEvent.objects.filter(action="alert_confirm", object_id=str(alert_id)).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_recoveries_at_once_never_pass_the_amount_due(reference_in_transactional_db, people):
    alert_id = raise_alert()
    sup = people["supervisor"]
    services.alert_verify(actor=sup, alert_id=alert_id)
    services.alert_confirm(actor=sup, alert_id=alert_id, finding="违规")
    services.alert_rectify(actor=sup, alert_id=alert_id, recovery_due_yuan="500", measures=["recovery_order"])
    outcomes = _race([
        lambda who=who: services.alert_recover(actor=people[who], alert_id=alert_id, amount_yuan="300")
        for who in ("supervisor", "finance")
    ])
    assert sorted(outcomes) == ["conflict", "ok"]
    assert Alert.objects.get(pk=alert_id).recovered_fen == 30_000


def _rectifying(people, due="500.00"):
    alert_id = raise_alert()
    sup = people["supervisor"]
    services.alert_verify(actor=sup, alert_id=alert_id)
    services.alert_confirm(actor=sup, alert_id=alert_id, finding="违规")
    services.alert_rectify(actor=sup, alert_id=alert_id, recovery_due_yuan=due, measures=["recovery_order"])
    return alert_id


@pytest.mark.django_db
def test_closing_needs_everything_recovered_or_a_written_waiver(people):
    alert_id = _rectifying(people)
    sup = people["supervisor"]
    services.alert_recover(actor=sup, alert_id=alert_id, amount_yuan="120.50")
    with pytest.raises(ValidationFailed) as refused:
        services.alert_close(actor=sup, alert_id=alert_id)
    assert refused.value.field == "waiver"
    assert status(alert_id) == AlertStatus.RECTIFYING
    alert = services.alert_close(actor=sup, alert_id=alert_id, waiver="当事人已去世，无遗产可追，经集体研究核销")
    assert (alert.status, alert.recovered_fen, alert.waiver[:6]) == (AlertStatus.CLOSED, 12_050, "当事人已去世")


@pytest.mark.django_db
def test_recovery_is_never_above_the_amount_due(people):
    alert_id = _rectifying(people, due="300")
    sup = people["supervisor"]
    services.alert_recover(actor=sup, alert_id=alert_id, amount_yuan="200")
    for amount in ("100.01", "0", "-5", "1.001", "abc"):
        with pytest.raises(ValidationFailed):
            services.alert_recover(actor=sup, alert_id=alert_id, amount_yuan=amount)
    services.alert_recover(actor=sup, alert_id=alert_id, amount_yuan="100")
    assert Alert.objects.get(pk=alert_id).recovered_fen == 30_000


@pytest.mark.django_db
def test_dismissing_and_rectifying_need_their_reasons(people):
    alert_id = raise_alert()
    sup = people["supervisor"]
    with pytest.raises(ValidationFailed):
        services.alert_dismiss(actor=sup, alert_id=alert_id, reason="  ")
    services.alert_verify(actor=sup, alert_id=alert_id)
    services.alert_confirm(actor=sup, alert_id=alert_id, finding="违规")
    with pytest.raises(ValidationFailed):
        services.alert_rectify(actor=sup, alert_id=alert_id, recovery_due_yuan="5", measures=[])
    with pytest.raises(ValidationFailed):
        services.alert_rectify(actor=sup, alert_id=alert_id, recovery_due_yuan="0", measures=["recovery_order"])
    assert status(alert_id) == AlertStatus.CONFIRMED


@pytest.mark.django_db
def test_a_dismissed_alert_stays_dismissed_on_the_same_facts_and_reopens_on_changed_ones(people):
    alert_id = raise_alert()
    services.alerts_notify([alert_id])
    InboxEntry.objects.filter(alert_id=alert_id).update(read_at=timezone.now())
    services.alert_dismiss(actor=people["supervisor"], alert_id=alert_id, reason="死亡登记有误，已更正")
    again = alerts_upsert(source="risk", rule="D1", severity="high", findings=[finding()])
    assert again.alert_ids == [alert_id] and again.reopened_ids == []
    assert status(alert_id) == AlertStatus.DISMISSED
    services.alerts_notify(again.alert_ids)
    assert not InboxEntry.objects.filter(alert_id=alert_id, read_at__isnull=True).exists()

    changed = alerts_upsert(source="risk", rule="D1", severity="high", findings=[
        finding(facts={"died_on": "2025-10-01", "paid_on": "2026-03-02", "register": "公安户籍注销"})])
    assert changed.reopened_ids == [alert_id]
    assert status(alert_id) == AlertStatus.NEW
    services.alerts_notify(changed.reopened_ids)
    unread = set(InboxEntry.objects.filter(alert_id=alert_id, read_at__isnull=True).values_list("user_id", flat=True))
    assert people["supervisor"].pk in unread


@pytest.mark.django_db
def test_a_new_alert_reaches_the_inboxes_of_those_who_work_its_region_only(people):
    alert_id = raise_alert(severity="medium")
    services.alerts_notify([alert_id])
    services.alerts_notify([alert_id])  # twice: nothing more
    told = set(InboxEntry.objects.filter(alert_id=alert_id, reason="raised").values_list("user_id", flat=True))
    assert told == {people[w].pk for w in ("supervisor", "supervisor2", "finance", "city", "province")}
    assert InboxEntry.objects.filter(alert_id=alert_id).count() == 5
    assert not Notice.objects.exists()  # medium severity: inbox only


@pytest.mark.django_db
def test_a_high_alert_is_also_a_notice_once_per_user(people, django_capture_on_commit_callbacks):
    high = raise_alert(ref="7")
    low = raise_alert(ref="8", severity="low")
    with django_capture_on_commit_callbacks(execute=False):
        first = services.alerts_notify([high, low])
        second = services.alerts_notify([high, low])
    assert len(first.notice_ids) == 5 and second.notice_ids == []
    notices = Notice.objects.filter(user__isnull=False)
    assert set(notices.values_list("user_id", flat=True)) == {
        people[w].pk for w in ("supervisor", "supervisor2", "finance", "city", "province")}
    assert all(f"#{high}" in text for text in notices.values_list("text", flat=True))
    assert not Notice.objects.filter(person__isnull=False).exists()


@pytest.mark.django_db
def test_an_alert_moved_on_is_not_announced(people):
    alert_id = raise_alert()
    services.alert_verify(actor=people["supervisor"], alert_id=alert_id)
    assert services.alerts_notify([alert_id]).recipients == 0
    assert not InboxEntry.objects.filter(reason="raised").exists()


def _age(alert_id, days):
    """As if the alert had been raised and last touched `days` ago."""
    then = timezone.now() - timedelta(days=days)
    Alert.objects.filter(pk=alert_id).update(status_changed_at=then)
    AlertEvent.objects.filter(alert_id=alert_id).update(at=then)


@pytest.mark.django_db
def test_an_overdue_alert_escalates_once_per_overdue_period_one_level_up(people):
    high = raise_alert(ref="1")
    medium = raise_alert(ref="2", severity="medium")
    _age(high, 4)
    _age(medium, 2)  # medium waits 7 days: not yet, nor 3 days later
    assert services.alerts_escalate_overdue() == [high]
    assert services.alerts_escalate_overdue() == []  # twice: once per period
    alert = Alert.objects.get(pk=high)
    assert alert.escalation_level == 1 and alert.status == AlertStatus.NEW
    assert list(InboxEntry.objects.filter(reason="escalated").values_list("user_id", flat=True)) == [
        people["city"].pk]
    assert AuditEvent.objects.filter(action="alert_escalated", object_id=str(high)).count() == 1
    later = timezone.now() + timedelta(days=3, hours=1)
    assert services.alerts_escalate_overdue(now=later) == [high]
    assert Alert.objects.get(pk=high).escalation_level == 2
    assert set(InboxEntry.objects.filter(reason="escalated").values_list("user_id", flat=True)) == {
        people["city"].pk, people["province"].pk}


@pytest.mark.django_db
def test_an_action_resets_the_overdue_clock_and_a_rescan_does_not(people):
    alert_id = raise_alert()
    _age(alert_id, 4)
    services.alert_verify(actor=people["supervisor"], alert_id=alert_id)
    assert services.alerts_escalate_overdue() == []
    _age(alert_id, 4)
    services.alert_note(actor=people["clerk"], alert_id=alert_id, note="核实中，已联系家属")
    assert services.alerts_escalate_overdue() == []
    _age(alert_id, 4)
    raise_alert()  # the scan sees the same facts again
    assert services.alerts_escalate_overdue() == [alert_id]
    for alert_status in (AlertStatus.DISMISSED, AlertStatus.CLOSED):
        Alert.objects.filter(pk=alert_id).update(status=alert_status)
        _age(alert_id, 30)
        assert services.alerts_escalate_overdue() == []


@pytest.mark.django_db
def test_the_queue_filters_and_counts_by_rule_and_region(people):
    d1 = raise_alert(ref="1")
    k1 = raise_alert(ref="2", rule="K1", severity="medium", region_code="430321102006", amount_fen=12_345)
    far = raise_alert(ref="3", rule="K1", region_code="430382100001")
    services.alert_dismiss(actor=people["supervisor"], alert_id=d1, reason="误报")
    sup = people["supervisor"]

    def ids(**filters):
        return set(selectors.alert_queue(actor=sup, filters=selectors.alert_filters_clean(filters))
                   .values_list("pk", flat=True))

    assert ids() == {d1, k1}
    assert ids(rule="K1") == {k1}
    assert ids(severity="high") == {d1}
    assert ids(status="open") == {k1}
    assert ids(status="dismissed") == {d1}
    assert ids(region=TANJIASHAN_TOWN) == {k1}
    assert ids(item="0604", period="2026", source="risk") == {d1, k1}
    assert ids(period="2025") == set()
    assert far in set(selectors.alert_queue(actor=people["province"]).values_list("pk", flat=True))
    with pytest.raises(ValidationFailed):
        selectors.alert_filters_clean({"region": "4303"})
    with pytest.raises(ValidationFailed):
        selectors.alert_filters_clean({"status": "lost"})
    alerts = selectors.alert_queue(actor=sup)
    assert selectors.alert_counts_by_rule(alerts=alerts) == [
        {"rule": "D1", "count": 1, "amount_fen": 50_000}, {"rule": "K1", "count": 1, "amount_fen": 12_345}]
    by_region = selectors.alert_counts_by_region(actor=sup, alerts=alerts)
    assert [(r["code"], r["count"]) for r in by_region] == [(YISUHE_TOWN, 1), (TANJIASHAN_TOWN, 1)]
    city = selectors.alert_counts_by_region(actor=people["city"], alerts=selectors.alert_queue(actor=people["city"]))
    assert [(r["code"], r["count"]) for r in city] == [(XIANGTAN_COUNTY, 2), (SHAOSHAN_CITY, 1)]


@pytest.mark.django_db
def test_the_export_has_one_row_per_filtered_alert_with_money_as_numbers(people, page_client):
    raise_alert(ref="1", amount_fen=123_456_78)
    raise_alert(ref="2", rule="K1", amount_fen=5)
    response = page_client(people["supervisor"]).get("/alerts/export/?rule=D1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[0][0] == "编号"
    assert rows[1][1] == "D1" and rows[1][9] == 123456.78
    assert sheet.cell(row=2, column=10).number_format == "#,##0.00"


@pytest.mark.django_db
def test_the_pages_show_the_queue_the_alert_and_the_inbox_in_chinese(people, page_client):
    alert_id = raise_alert()
    services.alerts_notify([alert_id])
    client = page_client(people["supervisor"])
    queue = client.get("/alerts/?status=open").content.decode()
    assert '<html lang="zh-hans">' in queue and f"/alerts/{alert_id}/" in queue
    inbox = client.get("/inbox/").content.decode()
    assert f"/alerts/{alert_id}/" in inbox and "<script>" not in inbox  # no inline script under the CSP
    detail = client.get(f"/alerts/{alert_id}/").content.decode()
    assert "民政殡葬" in detail and 'value="verify"' in detail and "<script>" not in detail
    assert not InboxEntry.objects.filter(user=people["supervisor"], read_at__isnull=True).exists()  # opened: read
    response = client.post(f"/alerts/{alert_id}/", {"action": "verify"})
    assert response.status_code == 302 and status(alert_id) == AlertStatus.VERIFYING
    assert page_client(people["far_supervisor"]).get(f"/alerts/{alert_id}/").status_code == 404
    assert page_client(people["department"]).get("/alerts/").status_code == 302


@pytest.mark.django_db
def test_the_api_lists_counts_shows_and_acts_on_alerts(people, api_client):
    alert_id = raise_alert(amount_fen=50_000)
    client = api_client(people["supervisor"])
    listing = client.get("/api/v1/alerts?severity=high").json()
    assert listing["count"] == 1
    row = listing["items"][0]
    assert {row["id"], row["rule"], row["status"], row["amount_yuan"], row["region"]} == {
        alert_id, "D1", "new", "500.00", VILLAGE}
    assert client.get("/api/v1/alerts?region=12").status_code == 422
    assert api_client(people["department"]).get("/api/v1/alerts").status_code == 403
    assert api_client(people["far_supervisor"]).get("/api/v1/alerts").json()["count"] == 0
    counts = client.get("/api/v1/alerts/counts").json()
    assert counts["by_rule"] == [{"key": "D1", "name": "D1", "count": 1, "amount_yuan": "500.00"}]
    assert counts["by_region"][0]["key"] == YISUHE_TOWN

    def act(body, who="supervisor"):
        return api_client(people[who]).post(f"/api/v1/alerts/{alert_id}/actions", body,
                                             content_type="application/json")

    assert act({"action": "confirm", "finding": "x"}).status_code == 409
    assert act({"action": "verify"}, who="clerk").status_code == 403
    assert act({"action": "verify"}, who="far_supervisor").status_code == 404
    assert act({"action": "fly"}).status_code == 422
    body = act({"action": "verify", "note": "开始核实"}).json()
    assert body["status"] == "verifying" and "confirm" in body["actions"]
    assert [e["action"] for e in body["events"]] == ["raised", "verify"]
    assert act({"action": "confirm", "finding": "违规"}).json()["status"] == "confirmed"
    body = act({"action": "rectify", "recovery_due_yuan": "500.00", "measures": ["recovery_order"]}).json()
    assert body["recovery_due_yuan"] == "500.00"
    refused = act({"action": "recover", "amount_yuan": "600"})
    assert refused.status_code == 422 and refused.json()["field"] == "amount_yuan"
    assert act({"action": "recover", "amount_yuan": "500"}).json()["recovered_yuan"] == "500.00"
    closed = act({"action": "close"}).json()
    assert closed["status"] == "closed" and closed["evidence"]["register"] == "民政殡葬"
    detail = client.get(f"/api/v1/alerts/{alert_id}").json()
    assert detail["subjects"] == [{"kind": "person", "ref": "1", "detail": {}, "links": []}]
    assert api_client(people["far_supervisor"]).get(f"/api/v1/alerts/{alert_id}").status_code == 404
    export = client.get("/api/v1/alerts/export?status=closed")
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")


@pytest.mark.django_db
def test_the_inbox_api_lists_unread_first_and_marks_read(people, api_client):
    first, second = raise_alert(ref="1"), raise_alert(ref="2", severity="medium")
    services.alerts_notify([first, second])
    client = api_client(people["city"])
    items = client.get("/api/v1/inbox").json()["items"]
    assert {i["alert"] for i in items} == {first, second} and all(i["read_at"] is None for i in items)
    marked = client.post("/api/v1/inbox/read", {"ids": [items[0]["id"]]}, content_type="application/json").json()
    assert marked == {"marked": 1}
    items = client.get("/api/v1/inbox").json()["items"]
    assert items[0]["read_at"] is None and items[1]["read_at"] is not None
    assert client.post("/api/v1/inbox/read", {}, content_type="application/json").json() == {"marked": 1}
