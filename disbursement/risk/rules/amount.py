"""Amount rules: paid above or below the item's fixed standard (A1, A2), outside the item's age rule (A3), and
the patterns of invented amounts — round hundreds in a village (A4), first digits off Benford's law (A5)."""

import numpy as np
import pandas as pd
from django.db import transaction

from disbursement.alerts.models import Severity
from disbursement.catalog.models import Item
from disbursement.money import fen_to_yuan
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.pii import mask_name
from disbursement.registry.models import Person
from disbursement.risk.base import Finding, Rule, Scope, Subject, rule
from disbursement.risk.rules.queries import (
    EARLIEST,
    LATEST,
    distinct_pairs,
    frame_by_pairs,
    in_list,
    line_subject,
    period_days,
    scope_where,
    years_before,
)
from disbursement.risk.rules.standards import AGE, FLAT, roster_standards_stage
from disbursement.risk.sql import frame, table
from disbursement.rosters.models import Roster, RosterLine
from geo.codes import PREFIX_LENGTHS


def _quantity(milli: int) -> str:
    whole, part = divmod(int(milli), 1000)
    return f"{whole}.{part:03d}".rstrip("0").rstrip(".")


def _against_standard(scope: Scope, *, above: bool, thresholds: dict) -> pd.DataFrame:
    """Live lines whose amount is off quantity × the standard that applies to them (the standard in force for
    the roster's township on the period's last day, the person's age band where it has bands; rounded half up
    to the fen, as the import computes it) by more than the tolerance. Where a grade band leaves several
    amounts possible, above compares with the highest and below with the lowest. `from_period` (e.g. "2026")
    keeps older periods out of the comparison."""
    where, params = scope_where(scope, village="l.village_id", roster="l.roster_id")
    columns = ("l.id AS line_id, l.roster_id, l.row_number, l.village_id, l.item_id, l.period, l.quantity_milli, "
               "l.rate_fen, l.amount_fen")
    common = [False, str(thresholds["from_period"] or ""), *params, int(thresholds["tolerance_fen"])]

    def off(standard: str) -> tuple[str, str]:
        expected = f"(l.quantity_milli * {standard} + 500) / 1000"
        return expected, (f"l.amount_fen > {expected} + %s" if above else f"l.amount_fen < {expected} - %s")

    with transaction.atomic():
        roster_standards_stage(scope)
        expected, condition = off("s.high_fen" if above else "s.low_fen")
        flat = frame(f"""
            SELECT {columns}, {"s.high_fen" if above else "s.low_fen"} AS standard_fen, {expected} AS expected_fen
            FROM {table(RosterLine)} l JOIN {FLAT} s ON s.roster_id = l.roster_id
            WHERE l.is_void = %s AND l.period >= %s{where} AND {condition}""", common)
        expected, condition = off("s.amount_fen")
        banded = frame(f"""
            SELECT {columns}, s.amount_fen AS standard_fen, {expected} AS expected_fen
            FROM {table(RosterLine)} l JOIN {AGE} s ON s.roster_id = l.roster_id
            JOIN {table(Person)} p ON p.id = l.person_id AND p.birth_date > s.born_after
                                  AND p.birth_date <= s.born_until
            WHERE l.is_void = %s AND l.period >= %s{where} AND {condition}""", common)
    rows = pd.concat([part for part in (flat, banded) if len(part)], ignore_index=True) if len(flat) or len(
        banded) else flat
    return rows.sort_values("line_id").reset_index(drop=True)


def _standard_findings(rows: pd.DataFrame, *, above: bool) -> list[Finding]:
    findings = []
    for row in rows.itertuples(index=False):
        gap = abs(int(row.amount_fen) - int(row.expected_fen))
        facts = {
            "item": row.item_id, "period": row.period, "amount_fen": int(row.amount_fen),
            "quantity": _quantity(row.quantity_milli), "rate_fen": int(row.rate_fen),
            "standard_fen": int(row.standard_fen), "expected_fen": int(row.expected_fen),
            ("excess_fen" if above else "shortfall_fen"): gap,
        }
        word, verb = ("超标准发放", "超出") if above else ("低于标准发放", "少发")
        summary = (f"{word}：{row.item_id} {row.period} 金额 {fen_to_yuan(row.amount_fen)} 元，"
                   f"数量 {facts['quantity']} × 适用标准 {fen_to_yuan(row.standard_fen)} 元 = "
                   f"{fen_to_yuan(row.expected_fen)} 元，{verb} {fen_to_yuan(gap)} 元")
        findings.append(Finding(subjects=(line_subject(row),), region_code=row.village_id, summary=summary,
                                facts=facts, amount_fen=gap, item_code=row.item_id, period=row.period,
                                roster_id=int(row.roster_id)))
    return findings


@rule
class AboveStandard(Rule):
    """The import refuses a rate other than the standard in force, so this catches history and standards set
    afterwards for the roster's dates: the line is compared with the standard that applies to it now."""

    code = "A1"
    name = "超标准发放"
    name_en = "Paid above the standard"
    family = "amount"
    severity = Severity.HIGH
    needs = ("catalog", "rosters")
    defaults = {"tolerance_fen": 0, "from_period": ""}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        return _standard_findings(_against_standard(scope, above=True, thresholds=thresholds),
                                  above=True)


@rule
class BelowStandard(Rule):
    code = "A2"
    name = "低于标准发放"
    name_en = "Paid below the standard (withheld)"
    family = "amount"
    severity = Severity.MEDIUM
    needs = ("catalog", "rosters")
    defaults = {"tolerance_fen": 0, "from_period": ""}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        return _standard_findings(_against_standard(scope, above=False, thresholds=thresholds),
                                  above=False)


def _age_rules() -> dict[str, tuple[int | None, int | None]]:
    """Item code -> (min, max) whole years, for items whose eligibility has an age rule (all bounds combined)."""
    rules = {}
    for code, eligibility in Item.objects.exclude(eligibility=[]).values_list("code", "eligibility"):
        for each in eligibility or []:
            if each.get("rule") == "age":
                low, high = rules.get(code, (None, None))
                if each.get("min") is not None:
                    low = max(low or 0, each["min"])
                if each.get("max") is not None:
                    high = each["max"] if high is None else min(high, each["max"])
                rules[code] = (low, high)
    return rules


@rule
class OutsideAge(Rule):
    """Age on the period's last day against the item's age rule. The bounds are turned into birth-date bounds
    per distinct (item, period) once, so the database compares dates and never computes an age per line."""

    code = "A3"
    name = "年龄不符"
    name_en = "Outside the eligible age"
    family = "amount"
    severity = Severity.HIGH
    needs = ("catalog", "rosters")
    defaults = {}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        ages = _age_rules()
        if not ages:
            return []
        codes = list(ages)
        pairs = distinct_pairs(scope, item_filter=f"l.item_id IN ({in_list(codes)})", item_params=codes)
        if pairs.empty:
            return []
        days = period_days(pairs)
        if days.empty:
            return []
        # age(end) >= min  <=>  born on or before end - min years;  age(end) <= max  <=>  born after end - (max+1).
        days["born_by"] = [years_before(end, ages[item][0]) if ages[item][0] is not None else LATEST
                           for item, end in zip(days["item_id"], days["ends_on"], strict=True)]
        days["born_after"] = [years_before(end, ages[item][1] + 1) if ages[item][1] is not None else EARLIEST
                              for item, end in zip(days["item_id"], days["ends_on"], strict=True)]
        where, params = scope_where(scope, village="l.village_id", roster="l.roster_id")
        rows = frame_by_pairs(days, ["ends_on", "born_by", "born_after"], lambda cte: f"""
            WITH {cte}
            SELECT l.id AS line_id, l.roster_id, l.row_number, l.village_id, l.item_id, l.period, l.amount_fen,
                   p.birth_date, p.name, pr.ends_on
            FROM {table(RosterLine)} l
            JOIN periods pr ON pr.item_id = l.item_id AND pr.period = l.period
            JOIN {table(Person)} p ON p.id = l.person_id
            WHERE l.is_void = %s AND (p.birth_date > pr.born_by OR p.birth_date <= pr.born_after){where}
            ORDER BY l.id""", [False, *params])
        findings = []
        for row in rows.itertuples(index=False):
            birth, end = pd.Timestamp(row.birth_date).date(), pd.Timestamp(row.ends_on).date()
            age = end.year - birth.year - ((end.month, end.day) < (birth.month, birth.day))
            low, high = ages[row.item_id]
            allowed = f"{low if low is not None else 0}–{high}周岁" if high is not None else f"{low}周岁及以上"
            facts = {"item": row.item_id, "period": row.period, "birth_date": birth.isoformat(),
                     "period_end": end.isoformat(), "age": age, "min_age": low, "max_age": high,
                     "payee": mask_name(row.name), "amount_fen": int(row.amount_fen)}
            summary = (f"年龄不符：{mask_name(row.name)} {birth.isoformat()} 出生，{row.item_id} {row.period} 期末 "
                       f"{end.isoformat()} 时 {age} 周岁，不在 {allowed} 范围内，金额 {fen_to_yuan(row.amount_fen)} 元")
            findings.append(Finding(subjects=(line_subject(row),), region_code=row.village_id, summary=summary,
                                    facts=facts, amount_fen=int(row.amount_fen), item_code=row.item_id,
                                    period=row.period, roster_id=int(row.roster_id)))
        return findings


# Payments that carry an amount someone decided: first attempts (a re-issue repeats its amount), not cancelled.
_DECIDED = f"p.previous_id IS NULL AND p.status <> '{PaymentStatus.CANCELLED.value}'"


@rule
class RoundHundreds(Rule):
    """Per-case items (no fixed standard) are set case by case; when nearly all of a village's amounts on one
    roster are whole hundreds of yuan, the amounts were likely written down rather than worked out."""

    code = "A4"
    name = "整数尾数异常"
    name_en = "Round-number pattern"
    family = "amount"
    severity = Severity.LOW
    needs = ("payments", "catalog")
    defaults = {"min_payments": 20, "round_share": 0.9}

    def findings(self, *, thresholds, scope):
        where, params = scope_where(scope, village="p.village_id", roster="p.roster_id")
        rows = frame(f"""
            SELECT p.roster_id, p.village_id, r.item_id, r.period, COUNT(*) AS payments,
                   SUM(CASE WHEN p.amount_fen %% 10000 = 0 THEN 1 ELSE 0 END) AS round_payments,
                   SUM(p.amount_fen) AS total_fen
            FROM {table(Payment)} p JOIN {table(Roster)} r ON r.id = p.roster_id
            JOIN {table(Item)} i ON i.code = r.item_id
            WHERE i.standard_fen IS NULL AND {_DECIDED}{where}
            GROUP BY p.roster_id, p.village_id, r.item_id, r.period
            HAVING COUNT(*) >= %s
            ORDER BY p.roster_id, p.village_id""", [*params, int(thresholds["min_payments"])])
        if rows.empty:
            return []
        rows["share"] = rows["round_payments"].astype(float) / rows["payments"].astype(float)
        rows = rows[rows["share"] >= float(thresholds["round_share"])]
        findings = []
        for row in rows.itertuples(index=False):
            share = round(float(row.share), 3)
            facts = {"item": row.item_id, "period": row.period, "village": row.village_id,
                     "payments": int(row.payments), "round_hundreds": int(row.round_payments), "share": share,
                     "total_fen": int(row.total_fen)}
            summary = (f"整数尾数异常：{row.village_id} 村 {row.item_id} {row.period} 共 {int(row.payments)} 笔，"
                       f"其中 {int(row.round_payments)} 笔为整百元（占 {share:.0%}）")
            findings.append(Finding(
                subjects=(Subject("region", row.village_id), Subject("roster", str(int(row.roster_id)))),
                region_code=row.village_id, summary=summary, facts=facts, amount_fen=0, item_code=row.item_id,
                period=row.period, roster_id=int(row.roster_id)))
        return findings


BENFORD = np.log10(1 + 1 / np.arange(1, 10))


@rule
class BenfordDeviation(Rule):
    """First digits of a county's per-case amounts in one year against Benford's law, by the mean absolute
    deviation of the digit shares (Nigrini's conformity measure: above 0.015 is nonconformity). One alert per
    county, describing its latest deviating year. Benford's law holds only for amounts spanning several orders
    of magnitude: a county-year whose amounts span fewer than `min_span_orders` (say, 低保 near one local
    standard) is not judged, or every county would fire."""

    code = "A5"
    name = "首位数字异常"
    name_en = "Benford deviation"
    family = "amount"
    severity = Severity.LOW
    needs = ("payments", "catalog")
    defaults = {"min_payments": 500, "max_mad": 0.015, "min_span_orders": 2}

    def findings(self, *, thresholds, scope):
        county = PREFIX_LENGTHS["county"]
        where, params = scope_where(scope, village="p.village_id", roster="p.roster_id")
        # The first digit of a positive integer is its leading character; counted per county, year and digit.
        rows = frame(f"""
            SELECT substr(p.village_id, 1, {county}) AS county, substr(r.period, 1, 4) AS year,
                   substr(CAST(p.amount_fen AS varchar(20)), 1, 1) AS digit, COUNT(*) AS payments,
                   MIN(p.amount_fen) AS smallest, MAX(p.amount_fen) AS largest
            FROM {table(Payment)} p JOIN {table(Roster)} r ON r.id = p.roster_id
            JOIN {table(Item)} i ON i.code = r.item_id
            WHERE i.standard_fen IS NULL AND {_DECIDED}{where}
            GROUP BY substr(p.village_id, 1, {county}), substr(r.period, 1, 4),
                     substr(CAST(p.amount_fen AS varchar(20)), 1, 1)""", params)
        if rows.empty:
            return []
        counts = rows.pivot_table(index=["county", "year"], columns="digit", values="payments", aggfunc="sum",
                                  fill_value=0).reindex(columns=[str(d) for d in range(1, 10)], fill_value=0)
        totals = counts.sum(axis=1)
        spans = rows.groupby(["county", "year"]).agg(smallest=("smallest", "min"), largest=("largest", "max"))
        wide = spans["largest"].astype(float) >= spans["smallest"].astype(float) * 10 ** int(
            thresholds["min_span_orders"])
        counts = counts[(totals >= int(thresholds["min_payments"])) & wide.reindex(counts.index, fill_value=False)]
        if counts.empty:
            return []
        shares = counts.div(counts.sum(axis=1), axis=0)
        mad = (shares - BENFORD).abs().mean(axis=1)
        deviating = mad[mad > float(thresholds["max_mad"])].reset_index(name="mad")
        latest = deviating.sort_values("year").groupby("county").tail(1)
        findings = []
        for row in latest.itertuples(index=False):
            region = row.county.ljust(12, "0")
            observed = shares.loc[(row.county, row.year)]
            facts = {"county": region, "year": row.year, "payments": int(counts.loc[(row.county, row.year)].sum()),
                     "mad": round(float(row.mad), 4), "max_mad": float(thresholds["max_mad"]),
                     "first_digit_share": {d: round(float(observed[d]), 3) for d in observed.index},
                     "benford_share": {str(d): round(float(BENFORD[d - 1]), 3) for d in range(1, 10)}}
            top = max(observed.index, key=lambda d: observed[d] - BENFORD[int(d) - 1])
            summary = (f"首位数字异常：{region} {row.year} 年按情况核定的 {facts['payments']} 笔发放金额，首位数字分布"
                       f"偏离本福特定律（平均绝对偏差 {facts['mad']:.4f}，阈值 {facts['max_mad']}），首位为 {top} 的占 "
                       f"{observed[top]:.0%}，理论 {BENFORD[int(top) - 1]:.0%}")
            findings.append(Finding(subjects=(Subject("region", region),), region_code=region, summary=summary,
                                    facts=facts, amount_fen=0, period=row.year))
        return findings


__all__ = ["AboveStandard", "BelowStandard", "BenfordDeviation", "OutsideAge", "RoundHundreds"]
