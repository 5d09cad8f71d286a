"""Builders for alert tests: findings raised through the real alerts_upsert, and a roster with real payments
behind an alert. Shared by tests/disbursement/test_alerts.py and tests/browser/test_alert_queue.py."""

from datetime import date

from disbursement.alerts.services import alerts_upsert
from disbursement.budget.services import indicator_issue
from disbursement.payments.models import Payment
from disbursement.risk.base import Finding, Subject
from disbursement.rosters.services import import_job_execute, roster_import_submit
from disbursement.rosters.workflow import roster_act
from tests.builders import publicity_passed
from tests.factories import card_number, han_name, id_number, roster_csv, roster_row

ITEM = "0604"  # 困难群众春节慰问金: 500.00 yuan per household, once, civil affairs
VILLAGE = "430321100001"  # a village of 易俗河镇, 湘潭县


def finding(*, ref: str = "1", kind: str = "person", region_code: str = VILLAGE, facts: dict | None = None,
            amount_fen: int = 50_000, subjects: tuple[Subject, ...] | None = None, period: str = "2026") -> Finding:
    facts = {"died_on": "2025-11-14", "paid_on": "2026-03-02", "register": "民政殡葬"} if facts is None else facts
    return Finding(subjects=subjects or (Subject(kind, ref),), region_code=region_code,
                   summary=f"死亡后仍发放：{facts.get('paid_on')} 发放，{facts.get('died_on')} 死亡（民政殡葬）",
                   facts=facts, amount_fen=amount_fen, item_code=ITEM, period=period)


def raise_alert(*, rule: str = "D1", severity: str = "high", **kwargs) -> int:
    """One alert through the real upsert; returns its id."""
    return alerts_upsert(source="risk", rule=rule, severity=severity, findings=[finding(**kwargs)]).alert_ids[0]


def roster_with_payments(*, clerk, department, finance, rows: int = 2):
    """A roster of ITEM in 易俗河镇 taken through publicity and the three approvals: its payments exist
    (pending, with references), as the pre-payment check and the trace see them."""
    indicator_issue(actor=None, document_number=f"湘财社〔2026〕{id_number()[-6:]}号", item_code=ITEM,
                    county_code="430321000000", fiscal_year=date.today().year, funding_level="provincial",
                    amount_fen=rows * 50_000)
    content = roster_csv([roster_row(han_name("孙", i), id_number(), card_number(), VILLAGE) for i in range(rows)])
    job = roster_import_submit(actor=None, content=content, file_name="r.csv", item_code=ITEM,
                               township_code="430321100000", period=str(date.today().year), enqueue=False)
    roster = import_job_execute(job_id=job.pk).roster
    assert roster is not None, job.errors
    publicity_passed(roster, clerk)
    roster_act(actor=clerk, roster_id=roster.pk, action="township_approve")
    roster_act(actor=department, roster_id=roster.pk, action="department_approve")
    roster_act(actor=finance, roster_id=roster.pk, action="finance_approve")
    return roster, list(Payment.objects.filter(roster=roster).select_related("line").order_by("line__row_number"))


def payment_finding(payment, *, facts: dict | None = None) -> Finding:
    """A finding about one real payment and its line, shaped as the rules make them."""
    line = payment.line
    subjects = (Subject("line", str(line.pk), {"roster_id": payment.roster_id, "row": line.row_number}),
                Subject("payment", str(payment.pk), {"reference": payment.reference, "roster_id": payment.roster_id,
                                                     "row": line.row_number}))
    return finding(subjects=subjects, region_code=payment.village_id, amount_fen=payment.amount_fen, facts=facts)
