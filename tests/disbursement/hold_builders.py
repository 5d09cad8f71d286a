"""Builders for risk tests: rosters walked to finance approval, and alerts raised on roster lines the way scans
raise them (through alerts_upsert)."""



from disbursement.alerts.models import Alert, AlertSource, Severity
from disbursement.alerts.services import alerts_upsert
from disbursement.budget.services import indicator_issue
from disbursement.risk.base import Finding, Subject
from disbursement.rosters.models import RosterLine
from disbursement.rosters.services import import_job_execute, roster_import_submit
from tests.builders import race_messages, through_department
from tests.conftest import XIANGTAN_COUNTY, YISUHE_TOWN
from tests.factories import card_number, han_name, id_number, roster_csv, roster_row

ITEM = "0604"  # 困难群众春节慰问金: 500.00 yuan per household, once, civil affairs, 5 days of publicity
YISUHE_VILLAGE = "430321100001"


def budget_issue(amount_fen: int, *, county: str = XIANGTAN_COUNTY, number: str = "湘财社〔2026〕1号",
                 year: int = 2026):
    return indicator_issue(actor=None, document_number=number, item_code=ITEM, county_code=county,
                           fiscal_year=year, funding_level="provincial", amount_fen=amount_fen)


def roster_accepted(rows: int = 3, *, township: str = YISUHE_TOWN, village: str = YISUHE_VILLAGE,
                    period: str = "2026"):
    content = roster_csv([roster_row(han_name("孙", i), id_number(), card_number(), village) for i in range(rows)])
    job = roster_import_submit(actor=None, content=content, file_name="r.csv", item_code=ITEM,
                               township_code=township, period=period, enqueue=False)
    job = import_job_execute(job_id=job.pk)
    assert job.roster, job.errors
    return job.roster


def roster_through_department(roster, people):
    """Publicity (passed), township and department approval: the roster waits for finance."""
    return through_department(roster, people)


def roster_line(roster, row: int) -> RosterLine:
    return RosterLine.objects.get(roster=roster, row_number=row)


def line_alert_raise(line: RosterLine, *, rule: str = "D1", severity: str = Severity.HIGH,
                     summary: str = "死亡后仍在册：2025-11-14 死亡（民政殡葬）") -> Alert:
    """An alert on one roster line, raised as a rule's scan would raise it."""
    finding = Finding(
        subjects=(Subject("line", str(line.id), {"roster_id": line.roster_id, "row": line.row_number}),),
        region_code=line.village_id, summary=summary, facts={"died_on": "2025-11-14", "register": "deaths"},
        amount_fen=line.amount_fen, item_code=line.roster.item_id, period=line.roster.period,
        roster_id=line.roster_id)
    outcome = alerts_upsert(source=AlertSource.RISK, rule=rule, severity=severity, findings=[finding])
    return Alert.objects.get(pk=outcome.alert_ids[0])


def alert_status_set(alert: Alert, status: str) -> None:
    """Stands in for the lifecycle services (dismiss, close) until they exist: a conditional update from the
    alert's current status, as those services make it."""
    assert Alert.objects.filter(pk=alert.pk, status=alert.status).update(status=status) == 1
    alert.refresh_from_db()


race = race_messages  # the hold tests read the loser's message
