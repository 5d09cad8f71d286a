"""Land rules: farmland subsidies against the land contract register (确权) — a person's subsidised area above
their contracted area (L1), a subsidy without any contract (L2), a village's area above its land (L3)."""


from disbursement.alerts.models import Severity
from disbursement.catalog.models import Item
from disbursement.money import fen_to_yuan
from disbursement.pii import mask_name
from disbursement.registry.models import LandContract, Person
from disbursement.risk.base import Finding, Rule, Subject, rule
from disbursement.risk.item_sets import FARMLAND_CATEGORY, FARMLAND_UNIT
from disbursement.risk.rules.queries import in_list, line_subject, rosters_of, scope_where, values_cte
from disbursement.risk.sql import frame, table
from disbursement.rosters.models import RosterLine
from geo.codes import subtree_bounds


def _mu(milli: int) -> str:
    whole, part = divmod(int(milli), 1000)
    return f"{whole}.{part:03d}".rstrip("0").rstrip(".")


def farmland_items(*, contract_only: bool = False) -> list[str]:
    """The items paid per mu of farmland; with `contract_only`, those whose eligibility requires a land contract
    (耕地地力保护补贴 …) rather than actual growing, which a tenant without a contract may claim."""
    rows = Item.objects.filter(category_id=FARMLAND_CATEGORY, unit=FARMLAND_UNIT).values_list("code", "eligibility")
    return [code for code, eligibility in rows
            if not contract_only or any(e.get("rule") == "attribute" and e.get("name") == "land_contract"
                                        for e in eligibility or [])]


def _ratio_milli(ratio) -> int:
    return int(round(float(ratio) * 1000))


@rule
class AreaAboveContract(Rule):
    code = "L1"
    name = "面积超承包"
    name_en = "Subsidised area above the contract"
    family = "land"
    severity = Severity.HIGH
    needs = ("land", "rosters")
    defaults = {"area_ratio": 1.0}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        items = farmland_items()
        if not items:
            return []
        ratio = _ratio_milli(thresholds["area_ratio"])
        where, params = scope_where(scope, village="l.village_id", roster="l.roster_id")
        # Contracts summed per line through the register's ID index, so a one-roster check reads only its payees'.
        rows = frame(f"""
            SELECT l.id AS line_id, l.roster_id, l.row_number, l.village_id, l.item_id, l.period, l.quantity_milli,
                   l.rate_fen, l.amount_fen, p.name, SUM(lc.area_milli_mu) AS area_milli, COUNT(*) AS contracts
            FROM {table(RosterLine)} l JOIN {table(Person)} p ON p.id = l.person_id
            JOIN {table(LandContract)} lc ON lc.id_hash = p.id_hash
            WHERE l.is_void = %s AND l.item_id IN ({in_list(items)}){where}
            GROUP BY l.id, l.roster_id, l.row_number, l.village_id, l.item_id, l.period, l.quantity_milli,
                     l.rate_fen, l.amount_fen, p.name
            HAVING l.quantity_milli * 1000 > SUM(lc.area_milli_mu) * %s
            ORDER BY l.id""", [False, *items, *params, ratio])
        findings = []
        for row in rows.itertuples(index=False):
            allowed = int(row.area_milli) * ratio // 1000
            excess = int(row.quantity_milli) - allowed
            at_risk = min(int(row.amount_fen), (excess * int(row.rate_fen) + 500) // 1000)
            facts = {"item": row.item_id, "period": row.period, "payee": mask_name(row.name),
                     "subsidised_mu": _mu(row.quantity_milli), "contracted_mu": _mu(row.area_milli),
                     "contracts": int(row.contracts), "area_ratio": float(thresholds["area_ratio"]),
                     "excess_mu": _mu(excess), "amount_fen": int(row.amount_fen)}
            summary = (f"面积超承包：{mask_name(row.name)} {row.item_id} {row.period} "
                       f"补贴面积 {facts['subsidised_mu']} 亩，土地承包登记 {facts['contracted_mu']} 亩"
                       f"（{facts['contracts']} 份合同），超出 {facts['excess_mu']} 亩，约 {fen_to_yuan(at_risk)} 元")
            findings.append(Finding(subjects=(line_subject(row),), region_code=row.village_id, summary=summary,
                                    facts=facts, amount_fen=at_risk, item_code=row.item_id, period=row.period,
                                    roster_id=int(row.roster_id)))
        return findings


def _covered() -> tuple[str, str, list]:
    """Where the land register speaks: the regions its files covered, and any village with a contract, so that a
    region never imported does not make everyone "landless". Returns a WITH table of the covered code ranges
    (empty when no file named its region), the condition on the line alias `l`, and the parameters."""
    ranges = sorted({subtree_bounds(code) for code in LandContract.objects.exclude(scope=None)
                     .values_list("scope_id", flat=True).distinct()})
    with_village = f"EXISTS (SELECT 1 FROM {table(LandContract)} lv WHERE lv.village_id = l.village_id)"
    if not ranges:
        return "", with_village, []
    cte, params = values_cte("covered", ["low", "high"], ranges)
    return (f"WITH {cte}", f"(EXISTS (SELECT 1 FROM covered c WHERE l.village_id BETWEEN c.low AND c.high) "
            f"OR {with_village})", params)


@rule
class SubsidyWithoutLand(Rule):
    code = "L2"
    name = "无承包地领取"
    name_en = "Farmland subsidy without land"
    family = "land"
    severity = Severity.HIGH
    needs = ("land", "rosters")
    defaults = {"contract_items_only": True}
    checks_roster = True

    def findings(self, *, thresholds, scope):
        items = farmland_items(contract_only=bool(thresholds["contract_items_only"]))
        if not items or not LandContract.objects.exists():
            return []
        covered_with, covered, covered_params = _covered()
        where, params = scope_where(scope, village="l.village_id", roster="l.roster_id")
        rows = frame(f"""
            {covered_with}
            SELECT l.id AS line_id, l.roster_id, l.row_number, l.village_id, l.item_id, l.period, l.quantity_milli,
                   l.amount_fen, p.name
            FROM {table(RosterLine)} l JOIN {table(Person)} p ON p.id = l.person_id
            WHERE l.is_void = %s AND l.item_id IN ({in_list(items)}) AND {covered}
              AND NOT EXISTS (SELECT 1 FROM {table(LandContract)} lc WHERE lc.id_hash = p.id_hash){where}
            ORDER BY l.id""", [*covered_params, False, *items, *params])
        findings = []
        for row in rows.itertuples(index=False):
            facts = {"item": row.item_id, "period": row.period, "payee": mask_name(row.name),
                     "subsidised_mu": _mu(row.quantity_milli), "register": "土地承包",
                     "amount_fen": int(row.amount_fen)}
            summary = (f"无承包地领取：{mask_name(row.name)} {row.item_id} {row.period} "
                       f"按 {facts['subsidised_mu']} 亩领取 {fen_to_yuan(row.amount_fen)} 元，土地承包登记中无其承包地")
            findings.append(Finding(subjects=(line_subject(row),), region_code=row.village_id, summary=summary,
                                    facts=facts, amount_fen=int(row.amount_fen), item_code=row.item_id,
                                    period=row.period, roster_id=int(row.roster_id)))
        return findings


@rule
class VillageAreaAboveLand(Rule):
    code = "L3"
    name = "村申报面积超总量"
    name_en = "Village's subsidised area above its land"
    family = "land"
    severity = Severity.MEDIUM
    needs = ("land", "rosters")
    defaults = {"area_ratio": 1.0}

    def findings(self, *, thresholds, scope):
        items = farmland_items()
        if not items:
            return []
        ratio = _ratio_milli(thresholds["area_ratio"])
        where, params = scope_where(scope, village="l.village_id")
        rows = frame(f"""
            WITH land AS (SELECT village_id, SUM(area_milli_mu) AS area_milli FROM {table(LandContract)}
                          GROUP BY village_id)
            SELECT l.village_id, l.item_id, l.period, l.roster_id, SUM(l.quantity_milli) AS quantity_milli,
                   SUM(l.amount_fen) AS amount_fen, COUNT(*) AS lines, MAX(land.area_milli) AS area_milli
            FROM {table(RosterLine)} l JOIN land ON land.village_id = l.village_id
            WHERE l.is_void = %s AND l.item_id IN ({in_list(items)}){where}
            GROUP BY l.village_id, l.item_id, l.period, l.roster_id""", [False, *items, *params])
        if rows.empty:
            return []
        for column in ("quantity_milli", "amount_fen", "lines", "area_milli"):
            rows[column] = rows[column].astype("int64")
        villages = rows.groupby(["village_id", "item_id", "period"], as_index=False).agg(
            quantity_milli=("quantity_milli", "sum"), amount_fen=("amount_fen", "sum"), lines=("lines", "sum"),
            area_milli=("area_milli", "max"))
        villages = villages[villages["quantity_milli"] * 1000 > villages["area_milli"] * ratio].copy()
        if villages.empty:
            return []
        villages["rosters"] = rosters_of(rows, villages, ["village_id", "item_id", "period"])
        findings = []
        for row in villages.sort_values(["village_id", "item_id", "period"]).itertuples(index=False):
            excess = int(row.quantity_milli) - int(row.area_milli) * ratio // 1000
            at_risk = int(row.amount_fen) * excess // int(row.quantity_milli)
            facts = {"item": row.item_id, "period": row.period, "village": row.village_id,
                     "subsidised_mu": _mu(row.quantity_milli), "contracted_mu": _mu(row.area_milli),
                     "lines": int(row.lines), "excess_mu": _mu(excess), "amount_fen": int(row.amount_fen),
                     "rosters": row.rosters}
            summary = (f"村申报面积超总量：{row.village_id} 村 {row.item_id} {row.period} 申报补贴面积 "
                       f"{facts['subsidised_mu']} 亩（{facts['lines']} 户），"
                       f"全村土地承包登记仅 {facts['contracted_mu']} 亩，超出 {facts['excess_mu']} 亩")
            subjects = (Subject("region", row.village_id), *(Subject("roster", str(r)) for r in row.rosters))
            findings.append(Finding(subjects=subjects, region_code=row.village_id, summary=summary, facts=facts,
                                    amount_fen=at_risk, item_code=row.item_id, period=row.period,
                                    roster_id=row.rosters[0] if len(row.rosters) == 1 else None))
        return findings


__all__ = ["AreaAboveContract", "SubsidyWithoutLand", "VillageAreaAboveLand", "farmland_items"]
