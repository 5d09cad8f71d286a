"""Treasury alerts (source "treasury") in the same queue as the risk rules, one per region and episode.

| rule | name | severity | fires while | episode |
| TR1 | 库款预警 | high | the region's latest level is in the warning band | the day it entered the band |
| TR2 | 库款偏低 | medium | … in the low band | the day it entered |
| TR3 | 库款闲置 | low | … in the idle band for at least `idle_days` consecutive days | the day it entered |
| TR4 | 三保缺口 | high | the county's forecast shows a 三保 shortfall | the first month short |
| TR5 | 对账差异 | medium | a month's statements differ from our payments settled those days | the month |

While the condition holds the episode's alert is refreshed with the latest figures; when it ends the alert is
closed by the system (alerts_resolve, "left the band on D"); a later return is a new episode, hence a new alert
(the episode is part of the alert's key). An episode a person has dismissed or closed stays so: its findings
are not handed on again (a treasury alert's figures change every day, which would otherwise re-open it daily).

Bands come from the stored TreasuryLevel history: one query for the regions asked, runs of one band found with
pandas. Alerts are about a region's own treasury (province, city or county) for TR1–TR3, a county for TR4–TR5.
"""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone

from disbursement.alerts import services as alerts_services
from disbursement.alerts.models import OPEN_STATUSES, Alert, AlertSource, AlertStatus, Severity, SubjectKind
from disbursement.audit.services import audit_record
from disbursement.bulk import rows_fetch
from disbursement.money import fen_to_yuan_grouped
from disbursement.risk.base import Finding, Subject
from disbursement.treasury.forecast import forecasts, settled_by_day
from disbursement.treasury.models import TreasuryBand, TreasuryLevel, TreasuryStatement
from disbursement.treasury.selectors import treasury_settings
from geo import codes
from geo.models import Region


@dataclass(frozen=True)
class TreasuryRule:
    code: str
    name: str
    severity: str


RULES = {
    "TR1": TreasuryRule("TR1", "库款预警", Severity.HIGH),
    "TR2": TreasuryRule("TR2", "库款偏低", Severity.MEDIUM),
    "TR3": TreasuryRule("TR3", "库款闲置", Severity.LOW),
    "TR4": TreasuryRule("TR4", "三保缺口", Severity.HIGH),
    "TR5": TreasuryRule("TR5", "对账差异", Severity.MEDIUM),
}
BAND_RULES = {TreasuryBand.WARNING: "TR1", TreasuryBand.LOW: "TR2", TreasuryBand.IDLE: "TR3"}
BAND_NAMES = {TreasuryBand.WARNING: "库款预警", TreasuryBand.LOW: "库款偏低", TreasuryBand.NORMAL: "库款正常",
              TreasuryBand.IDLE: "库款闲置"}
# Statements compared with our own payments (TR5): the last 13 months.
RECONCILE_DAYS = 400


@dataclass(frozen=True)
class RefreshSummary:
    counts: dict[str, int] = field(default_factory=dict)  # rule → alerts its findings name now
    created_ids: list[int] = field(default_factory=list)
    reopened_ids: list[int] = field(default_factory=list)
    resolved_ids: list[int] = field(default_factory=list)


def treasury_alerts_refresh(region_codes=None, *, as_of: datetime.date | None = None) -> RefreshSummary:
    """Raise, refresh and close the treasury alerts of these regions (all regions with levels when None).

    1. Findings per rule (TR1–TR3 from the level history, TR4 from the forecast, TR5 from the statements beside
       our settled payments); findings of episodes a person dismissed or closed are left out.
    2. alerts_upsert per rule; open alerts of these regions and rules whose episode is not current any more are
       closed by the system with a note saying why and since when.
    3. Alerts raised or re-opened go to alerts_notify; one audit record of the refresh is the last write.
    """
    as_of = as_of or timezone.localdate()
    settings = treasury_settings()
    levels = _levels(region_codes, as_of)
    regions = sorted(set(levels["region_id"])) if region_codes is None else sorted(set(region_codes))
    counties = [code for code in regions if _is_county(code)]
    names = dict(Region.objects.filter(pk__in=regions).values_list("code", "name"))
    current: dict[str, list[Finding]] = {code: [] for code in RULES}
    notes: dict[str, dict[tuple[str, str], str]] = {code: {} for code in RULES}
    band_findings, band_notes = _band_findings(levels, settings, names)
    for rule, found in band_findings.items():
        current[rule] += found
    for rule, rule_notes in band_notes.items():
        notes[rule].update(rule_notes)
    current["TR4"] += _gap_findings(counties, as_of, names)
    current["TR5"] += _reconcile_findings(counties, as_of, names)

    counts, created, reopened, resolved = {}, [], [], []
    for code, rule in RULES.items():
        findings = _still_wanted(code, current[code])
        outcome = alerts_services.alerts_upsert(source=AlertSource.TREASURY, rule=code, severity=rule.severity,
                                                findings=findings)
        counts[code] = len(outcome.alert_ids)
        created += outcome.created_ids
        reopened += outcome.reopened_ids
        live = {(f.region_code, f.episode) for f in current[code]}
        resolved += _resolve_ended(code, regions, live, notes[code], as_of)
    if created or reopened:
        alerts_services.alerts_notify(alert_ids=created + reopened)
    root = Region.objects.filter(parent__isnull=True).order_by("code").first()
    if root is not None:
        with transaction.atomic():
            audit_record(actor=None, action="treasury.alerts", obj=root, region_code=root.code,
                         as_of=as_of.isoformat(), regions=len(regions), counts=counts, created=len(created),
                         reopened=len(reopened), resolved=len(resolved))
    return RefreshSummary(counts=counts, created_ids=created, reopened_ids=reopened, resolved_ids=resolved)


def _is_county(code: str) -> bool:
    return codes.region_level(code) == "county"


def _subject(code: str, names: dict) -> Subject:
    return Subject(kind=SubjectKind.REGION, ref=code, detail={"name": names.get(code, code)})


def _levels(region_codes, as_of: datetime.date) -> pd.DataFrame:
    """Every stored level up to `as_of` of these regions (all when None), ordered by region and day: one query."""
    columns = ["region_id", "day", "band", "level", "closing_fen", "avg_monthly_outflow_fen", "days_of_cover"]
    where, params = "day <= %s", [as_of]
    if region_codes is not None:
        codes_list = list(region_codes) or [""]
        where += f" AND region_id IN ({', '.join(['%s'] * len(codes_list))})"
        params += codes_list
    with connection.cursor() as cursor:
        frame = rows_fetch(cursor, f"SELECT {', '.join(columns)} FROM {TreasuryLevel._meta.db_table} "
                                   f"WHERE {where} ORDER BY region_id, day", params, columns)
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame


def _runs(levels: pd.DataFrame) -> pd.DataFrame:
    """One row per run of consecutive statement days in one band: region_id, band, start, end, and for runs that
    ended, the first day after (next_start) with that day's band and level (None while the run is current)."""
    region, band = levels["region_id"].to_numpy(), levels["band"].to_numpy()
    changed = np.ones(len(levels), dtype=bool)
    changed[1:] = (band[1:] != band[:-1]) | (region[1:] != region[:-1])
    starts = np.flatnonzero(changed)
    ends = np.append(starts[1:], len(levels)) - 1
    days, level = levels["day"].to_numpy(), levels["level"].to_numpy()
    runs = pd.DataFrame({"region_id": region[starts], "band": band[starts], "start": days[starts],
                         "end": days[ends]})
    following = np.append(starts[1:], len(levels) - 1)
    ended = np.append(region[starts[1:]] == region[starts[:-1]], False)
    runs["next_start"] = np.where(ended, days[following], None)
    runs["next_band"] = np.where(ended, band[following], None)
    runs["next_level"] = np.where(ended, level[following], None)
    return runs


def _band_findings(levels: pd.DataFrame, settings, names: dict) -> tuple[dict, dict]:
    """TR1–TR3 findings for each region's latest run, and for every earlier run of those bands the note that
    closes its alert ("left the band on D")."""
    findings: dict[str, list[Finding]] = {"TR1": [], "TR2": [], "TR3": []}
    notes: dict[str, dict] = {"TR1": {}, "TR2": {}, "TR3": {}}
    if levels.empty:
        return findings, notes
    runs = _runs(levels)
    runs = runs[runs["band"].isin(list(BAND_RULES))]
    for run in runs[runs["next_start"].notna()].itertuples(index=False):
        notes[BAND_RULES[run.band]][(run.region_id, run.start.isoformat())] = (
            f"{run.next_start.isoformat()} 离开{BAND_NAMES[run.band]}区间（保障水平 {_level(run.next_level)}，"
            f"{BAND_NAMES.get(run.next_band, '')}）")
    latest = levels.groupby("region_id").tail(1).set_index("region_id")
    thresholds = {TreasuryBand.WARNING: f"< {settings.warning_below:.2f}",
                  TreasuryBand.LOW: f"{settings.warning_below:.2f}–{settings.low_below:.2f}",
                  TreasuryBand.IDLE: f"> {settings.idle_above:.2f}"}
    for run in runs[runs["next_start"].isna()].itertuples(index=False):
        rule = BAND_RULES[run.band]
        days = (run.end - run.start).days + 1
        if run.band == TreasuryBand.IDLE and days < settings.idle_days:
            continue
        row = latest.loc[run.region_id]
        level, closing, average = row["level"], int(row["closing_fen"]), int(row["avg_monthly_outflow_fen"])
        cover = row["days_of_cover"]
        text = (f"{run.start.isoformat()} 起{BAND_NAMES[run.band]}（保障水平 {thresholds[run.band]}），"
                f"{run.end.isoformat()} 保障水平 {_level(level)}，期末库款 {fen_to_yuan_grouped(closing)} 元，"
                f"月均流出 {fen_to_yuan_grouped(average)} 元")
        if run.band == TreasuryBand.IDLE:
            text += f"，已连续闲置 {days} 天（≥ {settings.idle_days} 天）"
        name = names.get(run.region_id, run.region_id)
        findings[rule].append(Finding(
            subjects=(_subject(run.region_id, names),), region_code=run.region_id,
            summary=f"{RULES[rule].name}：{name} {text}",
            facts={"since": run.start.isoformat(), "day": run.end.isoformat(), "days": days, "band": run.band,
                   "level": _level(level), "threshold": thresholds[run.band],
                   "closing_yuan": fen_to_yuan_grouped(closing),
                   "avg_monthly_outflow_yuan": fen_to_yuan_grouped(average),
                   "days_of_cover": None if cover is None or pd.isna(cover) else str(cover), "text": text},
            amount_fen=closing if run.band == TreasuryBand.IDLE else 0, episode=run.start.isoformat()))
    return findings, notes


def _level(level) -> str:
    if level is None or pd.isna(level):
        return "—"
    return f"{Decimal(str(level)):.4f}"


def _gap_findings(counties: list[str], as_of: datetime.date, names: dict) -> list[Finding]:
    """TR4: a county whose forecast is short in some month; the episode is the first month short."""
    found = []
    for code, forecast in forecasts(counties, as_of=as_of).items():
        short = forecast.first_shortfall
        if short is None:
            continue
        months = "，".join(f"{row.label} 缺口 {fen_to_yuan_grouped(row.gap_fen)} 元" for row in forecast.shortfalls)
        text = (f"以 {forecast.latest_day.isoformat()} 期末库款 {fen_to_yuan_grouped(forecast.closing_fen)} 元预测："
                f"{months}（已审未拨三保支出 {fen_to_yuan_grouped(forecast.rows[0].committed_basic_fen)} 元）")
        found.append(Finding(
            subjects=(_subject(code, names),), region_code=code,
            summary=f"三保缺口：{names.get(code, code)} 预计 {short.label} 缺口 "
                    f"{fen_to_yuan_grouped(short.gap_fen)} 元",
            facts={"month": short.label, "gap_yuan": fen_to_yuan_grouped(short.gap_fen),
                   "months": {row.label: fen_to_yuan_grouped(row.gap_fen) for row in forecast.shortfalls},
                   "latest_day": forecast.latest_day.isoformat(), "text": text},
            amount_fen=short.gap_fen, period=short.label, episode=short.label))
    return found


def _reconcile_findings(counties: list[str], as_of: datetime.date, names: dict) -> list[Finding]:
    """TR5: per county and month, the days whose statement's subsidy outflow differs from our payments settled
    that day. Only statements that carry the subsidy line, and only from the first day this system settled a
    payment in the county (before that the line was paid by other means)."""
    if not counties:
        return []
    start = as_of - datetime.timedelta(days=RECONCILE_DAYS)
    columns = ["region_id", "day", "outflow_subsidy_fen"]
    statements = pd.DataFrame(list(TreasuryStatement.objects.filter(
        region_id__in=counties, day__gte=start, day__lte=as_of, outflow_subsidy_fen__isnull=False)
        .values_list(*columns)), columns=columns)
    if statements.empty:
        return []
    ours = settled_by_day(counties, start, as_of)
    if ours.empty:
        return []
    first_paid = ours.groupby("region_id")["day"].min().rename("first_paid")
    frame = statements.merge(ours, how="left", on=["region_id", "day"]).merge(first_paid, how="inner",
                                                                              on="region_id")
    frame = frame[frame["day"] >= frame["first_paid"]]
    frame["paid_fen"] = frame["paid_fen"].fillna(0).astype("int64")
    frame["outflow_subsidy_fen"] = frame["outflow_subsidy_fen"].astype("int64")
    frame = frame[frame["paid_fen"] != frame["outflow_subsidy_fen"]]
    if frame.empty:
        return []
    frame["month"] = [day.strftime("%Y-%m") for day in frame["day"]]
    found = []
    for (code, month), days in frame.sort_values("day").groupby(["region_id", "month"]):
        difference = int((days["outflow_subsidy_fen"] - days["paid_fen"]).abs().sum())
        listed = [{"day": r.day.isoformat(), "statement_yuan": fen_to_yuan_grouped(r.outflow_subsidy_fen),
                   "ours_yuan": fen_to_yuan_grouped(r.paid_fen)} for r in days.head(31).itertuples(index=False)]
        first = listed[0]
        text = (f"{month} 有 {len(days)} 天库款对账单补贴支出与本系统当日结算金额不符，如 {first['day']} "
                f"对账单 {first['statement_yuan']} 元、本系统 {first['ours_yuan']} 元；差额合计 "
                f"{fen_to_yuan_grouped(difference)} 元")
        found.append(Finding(
            subjects=(_subject(code, names),), region_code=code,
            summary=f"对账差异：{names.get(code, code)} {text}"[:300],
            facts={"month": month, "days": listed, "difference_yuan": fen_to_yuan_grouped(difference),
                   "text": text},
            amount_fen=difference, period=month, episode=month))
    return found


def _still_wanted(rule: str, findings: list[Finding]) -> list[Finding]:
    """Leave out findings whose episode's alert a person dismissed or closed."""
    if not findings:
        return []
    keys = {alerts_services.alert_key(source=AlertSource.TREASURY, rule=rule, subjects=f.subjects,
                                      episode=f.episode): f for f in findings}
    settled = set(Alert.objects.filter(key__in=list(keys), status__in=(AlertStatus.DISMISSED, AlertStatus.CLOSED))
                  .values_list("key", flat=True))
    return [finding for key, finding in keys.items() if key not in settled]


def _resolve_ended(rule: str, regions: list[str], live: set, notes: dict, as_of: datetime.date) -> list[int]:
    """Close the open alerts of this rule in these regions whose episode is no longer current."""
    open_alerts = Alert.objects.filter(source=AlertSource.TREASURY, rule=rule, status__in=OPEN_STATUSES,
                                       region_id__in=regions).values_list("pk", "region_id", "evidence")
    ended: dict[str, list[int]] = {}
    for alert_id, region_id, evidence in open_alerts:
        episode = _episode_of(rule, evidence or {})
        if (region_id, episode) in live:
            continue
        note = notes.get((region_id, episode)) or _ended_note(rule, episode, as_of)
        ended.setdefault(note, []).append(alert_id)
    closed = []
    for note, ids in ended.items():
        closed += alerts_services.alerts_resolve(ids, note=note)
    return closed


def _episode_of(rule: str, evidence: dict) -> str:
    return str(evidence.get("since", "")) if rule in ("TR1", "TR2", "TR3") else str(evidence.get("month", ""))


def _ended_note(rule: str, episode: str, as_of: datetime.date) -> str:
    if rule == "TR4":
        return f"{as_of.isoformat()} 预测不再显示 {episode} 三保缺口"
    if rule == "TR5":
        return f"{as_of.isoformat()} 复核：{episode} 库款对账单与本系统结算金额已一致"
    return f"{as_of.isoformat()} 复核：自 {episode} 起的区间已不在当前保障水平历史中"
