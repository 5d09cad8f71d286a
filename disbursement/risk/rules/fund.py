"""Fund rules: money held back (F1), a bank file whose results do not add up to what it sent (F2), failures
nobody handled (F3), and payments sent to a card that had been closed (F4). Read through the ORM: these are
few rows (indicators, rosters, bank files, failures) and their date arithmetic is the ORM's to spell."""

from datetime import timedelta

from django.db.models import Count, F, Max, Min, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from disbursement.alerts.models import Severity
from disbursement.banking.codes import REASONS
from disbursement.budget.models import Indicator, LedgerState, Movement
from disbursement.money import fen_to_yuan
from disbursement.payments.models import BankFile, Payment, PaymentStatus
from disbursement.registry.models import Card, CardStatus
from disbursement.risk.base import Finding, Rule, Scope, Subject, rule
from disbursement.rosters.models import Roster, RosterStatus
from geo.codes import subtree_bounds


def _in_region(scope: Scope, field: str) -> Q:
    if not scope.region_code:
        return Q()
    low, high = subtree_bounds(scope.region_code)
    return Q(**{f"{field}__gte": low, f"{field}__lte": high})


def _local_day(moment) -> str:
    return timezone.localtime(moment).date().isoformat()


def _reason_zh(code: str) -> str:
    """'R01 账户已销户': the code the bank sent with its own words, as the clerk's pages show it."""
    if not code:
        return "无代码"
    info = REASONS.get(code)
    return f"{code} {info.label_zh}" if info else code


def _payment_subject(payment: dict) -> Subject:
    return Subject("payment", str(payment["pk"]), {"reference": payment["reference"], "roster_id": payment["roster_id"],
                                                   "row": payment["line__row_number"]})


@rule
class MoneyHeldBack(Rule):
    """Two ways money stalls on its way down: an indicator issued `indicator_days` ago whose available balance
    is still at least `idle_share` of what was issued (截留), and a roster finance approved `roster_days` ago
    that no bank file has carried yet (滞拨)."""

    code = "F1"
    name = "截留滞拨"
    name_en = "Money held back"
    family = "fund"
    severity = Severity.MEDIUM
    needs = ("budget", "payments", "rosters")
    defaults = {"indicator_days": 90, "idle_share": 0.5, "roster_days": 7}

    def findings(self, *, thresholds, scope):
        now = timezone.now()
        findings = []
        if scope.roster_id is None:
            findings += self._indicators(thresholds, scope, now - timedelta(days=int(thresholds["indicator_days"])))
        findings += self._rosters(thresholds, scope, now - timedelta(days=int(thresholds["roster_days"])))
        return findings

    def _indicators(self, thresholds, scope, cutoff) -> list[Finding]:
        def moved(**where):
            return Coalesce(Sum("entries__amount_fen", filter=Q(**{f"entries__{k}": v for k, v in where.items()})), 0)

        rows = (Indicator.objects.filter(_in_region(scope, "county_id"))
                .annotate(issued_at=Min("entries__created_at", filter=Q(entries__movement=Movement.ISSUE)),
                          issued=moved(debit=LedgerState.SOURCE) - moved(credit=LedgerState.SOURCE),
                          available=moved(credit=LedgerState.AVAILABLE) - moved(debit=LedgerState.AVAILABLE))
                .filter(issued_at__lte=cutoff, available__gt=0)
                .values("pk", "document_number", "item_id", "county_id", "fiscal_year", "issued_at", "issued",
                        "available").order_by("pk"))
        findings = []
        for row in rows:
            if row["issued"] <= 0 or row["available"] < float(thresholds["idle_share"]) * row["issued"]:
                continue
            issued_on = _local_day(row["issued_at"])
            facts = {"indicator": row["document_number"], "item": row["item_id"], "fiscal_year": row["fiscal_year"],
                     "issued_on": issued_on, "issued_fen": row["issued"], "available_fen": row["available"],
                     "indicator_days": int(thresholds["indicator_days"])}
            summary = (f"截留滞拨：指标 {row['document_number']} 于 {issued_on} 下达 {fen_to_yuan(row['issued'])} 元，"
                       f"超过 {facts['indicator_days']} 天仍有 {fen_to_yuan(row['available'])} 元未安排发放")
            findings.append(Finding(subjects=(Subject("indicator", str(row["pk"])),), region_code=row["county_id"],
                                    summary=summary, facts=facts, amount_fen=row["available"],
                                    item_code=row["item_id"], period=str(row["fiscal_year"])))
        return findings

    def _rosters(self, thresholds, scope, cutoff) -> list[Finding]:
        rosters = Roster.objects.filter(_in_region(scope, "township_id"), status=RosterStatus.FINANCE_APPROVED)
        if scope.roster_id is not None:
            rosters = rosters.filter(pk=scope.roster_id)
        rows = (rosters.annotate(approved_at=Max("approvals__at", filter=Q(
                    approvals__to_status=RosterStatus.FINANCE_APPROVED)))
                .filter(approved_at__lte=cutoff)
                .values("pk", "item_id", "period", "township_id", "total_fen", "line_count", "approved_at")
                .order_by("pk"))
        findings = []
        for row in rows:
            approved_on = _local_day(row["approved_at"])
            facts = {"roster": row["pk"], "item": row["item_id"], "period": row["period"], "approved_on": approved_on,
                     "total_fen": row["total_fen"], "lines": row["line_count"],
                     "roster_days": int(thresholds["roster_days"])}
            summary = (f"截留滞拨：清册 {row['pk']}（{row['item_id']} {row['period']}，{row['line_count']} 人，"
                       f"{fen_to_yuan(row['total_fen'])} 元）{approved_on} 财政审核通过，超过 {facts['roster_days']} "
                       f"天仍未发送银行")
            findings.append(Finding(subjects=(Subject("roster", str(row["pk"])),), region_code=row["township_id"],
                                    summary=summary, facts=facts, amount_fen=row["total_fen"],
                                    item_code=row["item_id"], period=row["period"], roster_id=row["pk"]))
        return findings


# A payment the bank answered: paid, failed, or failed and since re-issued or returned.
ANSWERED = (PaymentStatus.PAID, PaymentStatus.FAILED, PaymentStatus.REISSUED, PaymentStatus.RETURNED)


@rule
class SentNotCredited(Rule):
    """The return file itself can never disagree with its payment file: reconciliation refuses one whose count,
    total or any line's amount differs. So this compares what each answered file sent with the sum of its
    payments' results as stored now — a payment moved off the file, still "sent", or edited afterwards."""

    code = "F2"
    name = "拨付与到账不符"
    name_en = "Sent differs from credited"
    family = "fund"
    severity = Severity.HIGH
    needs = ("bank_files", "payments")
    defaults = {"tolerance_fen": 0}

    def findings(self, *, thresholds, scope):
        answered = Q(payments__status__in=ANSWERED)
        files = BankFile.objects.filter(_in_region(scope, "roster__township_id"), returned_at__isnull=False)
        if scope.roster_id is not None:
            files = files.filter(roster_id=scope.roster_id)
        rows = (files.annotate(result_fen=Coalesce(Sum("payments__amount_fen", filter=answered), 0),
                               result_count=Count("payments", filter=answered),
                               paid_fen=Coalesce(Sum("payments__amount_fen",
                                                     filter=Q(payments__status=PaymentStatus.PAID)), 0))
                .exclude(result_fen=F("total_fen"), result_count=F("record_count"))
                .values("pk", "file_id", "roster_id", "roster__township_id", "roster__item_id", "roster__period",
                        "total_fen", "record_count", "result_fen", "result_count", "paid_fen", "returned_at")
                .order_by("pk"))
        findings = []
        for row in rows:
            gap = abs(row["total_fen"] - row["result_fen"])
            if gap <= int(thresholds["tolerance_fen"]) and row["result_count"] == row["record_count"]:
                continue
            facts = {"bank_file": row["file_id"], "sent_records": row["record_count"], "sent_fen": row["total_fen"],
                     "answered_records": row["result_count"], "answered_fen": row["result_fen"],
                     "paid_fen": row["paid_fen"], "returned_on": _local_day(row["returned_at"]), "gap_fen": gap}
            summary = (f"拨付与到账不符：银行文件 {row['file_id']} 发送 {row['record_count']} 笔 "
                       f"{fen_to_yuan(row['total_fen'])} 元，回盘后有结果的 {row['result_count']} 笔合计 "
                       f"{fen_to_yuan(row['result_fen'])} 元，相差 {fen_to_yuan(gap)} 元")
            findings.append(Finding(subjects=(Subject("bank_file", str(row["pk"])),),
                                    region_code=row["roster__township_id"], summary=summary, facts=facts,
                                    amount_fen=gap, item_code=row["roster__item_id"], period=row["roster__period"],
                                    roster_id=row["roster_id"]))
        return findings


_PAYMENT_FIELDS = ("pk", "reference", "roster_id", "line__row_number", "village_id", "amount_fen", "roster__item_id",
                   "roster__period", "card_masked")


@rule
class FailureUnhandled(Rule):
    code = "F3"
    name = "失败未处理"
    name_en = "Failure left unhandled"
    family = "fund"
    severity = Severity.MEDIUM
    needs = ("payments",)
    defaults = {"days": 30}

    def findings(self, *, thresholds, scope):
        cutoff = timezone.now() - timedelta(days=int(thresholds["days"]))
        # Re-issuing or returning moves a payment out of "failed"; one still failed is unhandled.
        payments = Payment.objects.filter(_in_region(scope, "village_id"), status=PaymentStatus.FAILED,
                                          settled_at__lte=cutoff)
        if scope.roster_id is not None:
            payments = payments.filter(roster_id=scope.roster_id)
        findings = []
        for row in payments.values(*_PAYMENT_FIELDS, "result_code", "settled_at").order_by("pk"):
            failed_on = _local_day(row["settled_at"])
            facts = {"reference": row["reference"], "item": row["roster__item_id"], "period": row["roster__period"],
                     "failed_on": failed_on, "result_code": row["result_code"], "card": row["card_masked"],
                     "amount_fen": row["amount_fen"], "days": int(thresholds["days"])}
            summary = (f"失败未处理：{row['reference']} {fen_to_yuan(row['amount_fen'])} 元于 {failed_on} 发放失败"
                       f"（{_reason_zh(row['result_code'])}），超过 {facts['days']} 天既未重发也未退回指标")
            findings.append(Finding(subjects=(_payment_subject(row),), region_code=row["village_id"], summary=summary,
                                    facts=facts, amount_fen=row["amount_fen"], item_code=row["roster__item_id"],
                                    period=row["roster__period"], roster_id=row["roster_id"]))
        return findings


@rule
class PaidToClosedCard(Rule):
    """Cards record no closing date. A card is closed by registering its replacement (card_replace), so a closed
    card's closing is taken as the creation of the person's next card; a payment carried by a bank file made
    after that went to a dead card."""

    code = "F4"
    name = "发放到已销户卡"
    name_en = "Paid to a closed card"
    family = "fund"
    severity = Severity.HIGH
    needs = ("cards", "payments", "bank_files")
    defaults = {}

    def findings(self, *, thresholds, scope):
        replaced_at = (Card.objects.filter(person_id=OuterRef("card__person_id"),
                                           created_at__gt=OuterRef("card__created_at"))
                       .exclude(pk=OuterRef("card_id")).order_by("created_at").values("created_at")[:1])
        payments = (Payment.objects.filter(_in_region(scope, "village_id"), bank_file__isnull=False,
                                           card__status=CardStatus.CLOSED)
                    .annotate(closed_at=Subquery(replaced_at))
                    .filter(closed_at__isnull=False, bank_file__created_at__gt=F("closed_at")))
        if scope.roster_id is not None:
            payments = payments.filter(roster_id=scope.roster_id)
        findings = []
        for row in payments.values(*_PAYMENT_FIELDS, "card_id", "closed_at", "bank_file__file_id",
                                   "bank_file__created_at", "status").order_by("pk"):
            closed_on, file_on = _local_day(row["closed_at"]), _local_day(row["bank_file__created_at"])
            facts = {"reference": row["reference"], "card": row["card_masked"], "card_closed_on": closed_on,
                     "bank_file": row["bank_file__file_id"], "file_on": file_on, "status": row["status"],
                     "amount_fen": row["amount_fen"]}
            summary = (f"发放到已销户卡：{row['reference']} {fen_to_yuan(row['amount_fen'])} 元于 {file_on} 随 "
                       f"{row['bank_file__file_id']} 发往卡 {row['card_masked']}，该卡已于 {closed_on} 换卡销户")
            findings.append(Finding(subjects=(_payment_subject(row), Subject("card", str(row["card_id"]))),
                                    region_code=row["village_id"], summary=summary, facts=facts,
                                    amount_fen=row["amount_fen"], item_code=row["roster__item_id"],
                                    period=row["roster__period"], roster_id=row["roster_id"]))
        return findings
