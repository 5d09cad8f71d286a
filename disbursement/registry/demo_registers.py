"""Demo side registers: the files the civil-affairs, organisation, agriculture, payroll, traffic, market,
pension and household-registration offices would send, for the demo counties, with a handful of planted
anomalies the risk rules find. Demo data only.

Built from the demo register (disbursement.registry.demo) with its own `default_rng(seed)`, relative to
AS_OF, so a seed gives the same files everywhere. The register's own deaths, cadres and land contracts are
in the files too: importing a register replaces what the region had, so a file must be the whole register.
Each planted anomaly names a person the demo rosters pay (低保 or farmland payees of the roster townships),
so the scan after the import — and the pre-payment check at finance approval — finds it.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from django.db import connection

from disbursement import bulk, pii
from disbursement.catalog.models import Item
from disbursement.registry.demo import (
    AS_OF,
    CADRE_POSTS,
    CADRE_TERM,
    PERIODS,
    ROSTER_PLANS,
    DemoRegister,
    _age_on,
    eligible_people,
    roster_townships,
)
from disbursement.registry.models import LandContract
from disbursement.rosters.periods import period_bounds

# Columns as in MONITORING.md ("Side registers"), Chinese headers.
REGISTER_COLUMNS = {
    "deaths": ("姓名", "身份证号", "死亡日期", "来源"),
    "cadres": ("姓名", "身份证号", "村(社区)代码", "职务", "任职起", "任职止"),
    "land": ("姓名", "身份证号", "村(社区)代码", "承包合同号", "承包面积(亩)"),
    "payroll": ("姓名", "身份证号", "单位", "起", "止"),
    "vehicles": ("姓名", "身份证号", "号牌", "车辆类型", "登记日期"),
    "enterprises": ("姓名", "身份证号", "企业名称", "统一社会信用代码", "角色"),
    "pensions": ("姓名", "身份证号", "月养老金", "起"),
    "moves": ("姓名", "身份证号", "迁出地", "迁入地", "迁移日期"),
}
DIBAO_ITEMS = ("0404", "0405", "0406")
FARMLAND_ITEM = "0101"
EMPLOYERS = ("湘潭县人民政府办公室", "湘潭县教育局", "湘潭县人民医院", "韶山市财政局", "易俗河镇人民政府",
             "湘潭县第一中学", "韶山市自然资源局")
VEHICLE_TYPES = ("小型轿车", "小型普通客车", "轻型货车", "小型越野客车")
ENTERPRISE_ROLES = {"legal_representative": "法定代表人", "shareholder": "股东", "sole_trader": "个体户"}
SHOPS = ("湘潭县{}农资经营部", "韶山市{}商贸有限公司", "湘潭{}建材有限公司", "{}家庭农场", "湘潭县{}养殖专业合作社")


@dataclass(frozen=True)
class PlantedAnomaly:
    """One fact planted in a register file for the rules to find (the person is a demo-register index)."""

    rule: str  # the catalogue code it should fire (MONITORING.md)
    register: str
    person: int
    note: str  # Chinese, for the demo_data output


def demo_payees(register: DemoRegister, villages: pd.DataFrame) -> pd.DataFrame:
    """Who the demo rosters pay: person, item, quantity_milli, in the roster townships (as rosters_import
    selects them)."""
    items = {item.code: item for item in Item.objects.filter(code__in=[p.item for p in ROSTER_PLANS])}
    frames = []
    for plan in ROSTER_PLANS:
        if plan.item not in DIBAO_ITEMS + (FARMLAND_ITEM,):
            continue
        item = items[plan.item]
        period_end = period_bounds(PERIODS[item.frequency], item.frequency)[1]
        for township in roster_townships(villages):
            people = eligible_people(register, item, township=township, period_end=period_end)
            if plan.select is not None:
                lines = plan.select(register, people, item)
            else:
                lines = pd.DataFrame({"person": people, "quantity_milli": 1000})
            frames.append(lines.assign(item=plan.item)[["person", "item", "quantity_milli"]])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["person", "item",
                                                                                      "quantity_milli"])


def _frame(register: DemoRegister, kind: str, people, values: list) -> pd.DataFrame:
    """A register's rows under its Chinese headers, with `_county` (the person's county: the region whose
    file the row goes into; not written)."""
    frame = pd.DataFrame(dict(zip(REGISTER_COLUMNS[kind], values, strict=True)))
    frame["_county"] = register.persons.loc[people, "village_id"].str[:6].to_numpy()
    return frame


def _id(register, people) -> np.ndarray:
    return register.persons.loc[people, "id_number"].to_numpy()


def _name(register, people) -> np.ndarray:
    return register.persons.loc[people, "name"].to_numpy()


def _days_before(rng, n: int, low: int, high: int) -> np.ndarray:
    return np.datetime_as_string(np.datetime64(AS_OF) - rng.integers(low, high, n).astype("timedelta64[D]"),
                                 unit="D")


def _land_numbers(register: DemoRegister) -> pd.Series:
    """The contract numbers register_write gave the register's land, by person (read back by blind index)."""
    holders = register.land["person"].to_numpy()
    hashes = pd.Series(pii.blind_index_many(register.persons.loc[holders, "id_number"].tolist()), index=holders)
    with connection.cursor() as cursor:
        bulk.stage_create(cursor, "demo_land_stage", {"id_hash": "uuid"})
        bulk.stage_fill(cursor, "demo_land_stage", pd.DataFrame({"id_hash": hashes.to_numpy()}))
        rows = bulk.rows_fetch(cursor, f"""
            SELECT CAST(l.id_hash AS TEXT) AS id_hash, l.contract_number FROM {LandContract._meta.db_table} l
            WHERE l.id_hash IN (SELECT id_hash FROM demo_land_stage)""", columns=["id_hash", "contract_number"])
        bulk.stage_drop(cursor, "demo_land_stage")
    numbers = dict(zip(rows["id_hash"].str.replace("-", "").str.lower(), rows["contract_number"], strict=True))
    fallback = pd.Series([f"DEMO{person:08d}J" for person in holders], index=holders)
    found = hashes.str.replace("-", "").str.lower().map(numbers)
    return found.fillna(fallback)


def side_registers_build(register: DemoRegister, villages: pd.DataFrame, *,
                         seed: int) -> tuple[dict[str, pd.DataFrame], list[PlantedAnomaly]]:
    """Every side register as a frame with the Chinese headers, plus what was planted in them. Reads the
    demo register's land contract numbers back from the database (register_write must have run)."""
    rng = np.random.default_rng(seed + 9)
    persons, attributes = register.persons, register.attributes
    living = persons.index[persons["deceased_on"].isna().to_numpy()]
    age = _age_on(persons["birth_date"], AS_OF)
    payees = demo_payees(register, villages)
    dibao = np.unique(payees.loc[payees["item"].isin(DIBAO_ITEMS), "person"].to_numpy())
    farmland = payees[payees["item"] == FARMLAND_ITEM]
    on_aid = set(dibao) | set(np.flatnonzero(attributes["minimum_living"].notna().to_numpy()))
    planted: list[PlantedAnomaly] = []
    # Planted people: distinct 低保 payees, in a fixed random order.
    pick = list(rng.permutation(dibao)) if len(dibao) else []

    def take() -> int | None:
        return int(pick.pop()) if pick else None

    frames: dict[str, pd.DataFrame] = {}

    # Deaths: the register's own, plus a 低保 payee registered dead before the demo's payment.
    deaths = register.deaths
    rows = pd.DataFrame({"person": deaths["person"], "died_on": deaths["died_on"].dt.strftime("%Y-%m-%d"),
                         "source": deaths["source"]})
    if (who := take()) is not None:
        died = (AS_OF - timedelta(days=75)).isoformat()
        rows = pd.concat([rows, pd.DataFrame({"person": [who], "died_on": [died], "source": ["民政殡葬管理信息系统"]})])
        planted.append(PlantedAnomaly("D2", "deaths", who, f"低保对象 {died} 死亡登记，仍在 2026-11 清册上"))
    frames["deaths"] = _frame(register, "deaths", rows["person"], [
        _name(register, rows["person"]), _id(register, rows["person"]), rows["died_on"].to_numpy(),
        rows["source"].to_numpy()])

    # Cadres: the register's own (serving), plus a 低保 payee who is a cadre, and the household of another.
    cadres = register.cadres.assign(village=persons.loc[register.cadres["person"], "village_id"].to_numpy(),
                                    post_name=register.cadres["post"].map(CADRE_POSTS).to_numpy())
    extra = []
    if (who := take()) is not None:
        extra.append((who, "村民委员会委员"))
        planted.append(PlantedAnomaly("C1", "cadres", who, "村委委员本人领取农村低保"))
    if (payee := take()) is not None:
        home = persons.at[payee, "household"]
        relatives = persons.index[(persons["household"] == home).to_numpy() & (persons.index != payee)
                                  & (age >= 25).to_numpy()]
        if len(relatives):
            extra.append((int(relatives[0]), "村民小组长"))
            planted.append(PlantedAnomaly("C2", "cadres", int(relatives[0]), "村民小组长的同户家庭成员领取农村低保"))
    if extra:
        people = [p for p, _post in extra]
        cadres = pd.concat([cadres, pd.DataFrame({"person": people, "village": persons.loc[people, "village_id"]
                                                  .to_numpy(), "post_name": [post for _p, post in extra]})])
    frames["cadres"] = _frame(register, "cadres", cadres["person"], [
        _name(register, cadres["person"]), _id(register, cadres["person"]), cadres["village"].to_numpy(),
        cadres["post_name"].to_numpy(), CADRE_TERM[0].isoformat(), ""])

    # Land: the register's contracts; one farmland payee's contract is 40 % smaller than what the roster pays
    # for, another payee has none on record.
    land = register.land.assign(number=_land_numbers(register).to_numpy())
    paid_land = farmland.merge(land, on="person")
    if len(paid_land) >= 2:
        order = rng.permutation(len(paid_land))
        smaller, missing = (int(paid_land.iloc[order[0]]["person"]), int(paid_land.iloc[order[1]]["person"]))
        land.loc[land["person"] == smaller, "area_milli_mu"] = (
            land.loc[land["person"] == smaller, "area_milli_mu"] * 6 // 10)
        land = land[land["person"] != missing]
        planted.append(PlantedAnomaly("L1", "land", smaller, "补贴面积超过确权承包面积（承包面积登记为 60%）"))
        planted.append(PlantedAnomaly("L2", "land", missing, "领取耕地地力保护补贴但无土地承包记录"))
    area = land["area_milli_mu"].astype(np.int64)
    frames["land"] = _frame(register, "land", land["person"], [
        _name(register, land["person"]), _id(register, land["person"]),
        persons.loc[land["person"], "village_id"].to_numpy(), land["number"].to_numpy(),
        ((area // 1000).astype(str) + "." + (area % 1000 // 10).astype(str).str.zfill(2)).to_numpy()])

    # Payroll: ~3 % of working-age people not on aid, and one 低保 payee.
    working = np.array([p for p in living[((age >= 22) & (age <= 60)).loc[living].to_numpy()] if p not in on_aid])
    staff = np.sort(rng.choice(working, min(len(working), max(1, len(persons) * 3 // 100)), replace=False))
    starts = list(_days_before(rng, len(staff), 400, 9000))
    if (who := take()) is not None:
        staff, starts = np.append(staff, who), starts + ["2019-03-01"]
        planted.append(PlantedAnomaly("P1", "payroll", who, "财政供养人员（工资统发）领取农村低保"))
    frames["payroll"] = _frame(register, "payroll", staff, [
        _name(register, staff), _id(register, staff), rng.choice(EMPLOYERS, len(staff)), starts, ""])

    # Vehicles: ~10 % of adults not on aid, and one 低保 payee with a car bought last year.
    adults = np.array([p for p in living[(age >= 20).loc[living].to_numpy()] if p not in on_aid])
    owners = np.sort(rng.choice(adults, min(len(adults), max(1, len(persons) // 10)), replace=False))
    registered = list(_days_before(rng, len(owners), 30, 5000))
    if (who := take()) is not None:
        owners, registered = np.append(owners, who), registered + ["2025-05-10"]
        planted.append(PlantedAnomaly("E1", "vehicles", who, "农村低保对象名下有 2025-05-10 登记的小型轿车"))
    plates = [f"湘C{chr(65 + i % 26)}{10000 + i * 37 % 90000}" for i in range(len(owners))]
    frames["vehicles"] = _frame(register, "vehicles", owners, [
        _name(register, owners), _id(register, owners), plates, rng.choice(VEHICLE_TYPES, len(owners)),
        registered])

    # Enterprises: ~2 % of adults not on aid, and one 低保 payee as legal representative.
    traders = np.sort(rng.choice(adults, min(len(adults), max(1, len(persons) // 50)), replace=False))
    roles = list(rng.choice(list(ENTERPRISE_ROLES.values()), len(traders)))
    if (who := take()) is not None:
        traders, roles = np.append(traders, who), roles + ["法定代表人"]
        planted.append(PlantedAnomaly("E2", "enterprises", who, "农村低保对象是一家有限公司的法定代表人"))
    shops = [SHOPS[i % len(SHOPS)].format(name[:1] + "氏") for i, name in enumerate(_name(register, traders))]
    codes = [f"91430321MA4{i:07d}" for i in range(len(traders))]
    frames["enterprises"] = _frame(register, "enterprises", traders, [
        _name(register, traders), _id(register, traders), shops, codes, roles])

    # Pensions: ~40 % of people over 60 not on aid (1,200–4,500 yuan), and one 低保 payee drawing 3,800.
    old = np.array([p for p in living[(age >= 60).loc[living].to_numpy()] if p not in on_aid])
    pensioners = np.sort(rng.choice(old, len(old) * 2 // 5, replace=False)) if len(old) else np.array([], int)
    monthly = list((rng.integers(120, 450, len(pensioners)) * 10).astype(str))
    if (who := take()) is not None:
        pensioners, monthly = np.append(pensioners, who), monthly + ["3800"]
        planted.append(PlantedAnomaly("P2", "pensions", who, "月领养老金 3800 元的人员领取农村低保"))
    frames["pensions"] = _frame(register, "pensions", pensioners, [
        _name(register, pensioners), _id(register, pensioners), [f"{m}.00" for m in monthly],
        list(_days_before(rng, len(pensioners), 400, 6000))])

    # Household moves: ~1 % moved between villages over the years; one 低保 payee moved in a month before the
    # period, another moved out of the paying township before it.
    codes_all = villages["code"].to_numpy()
    movers = np.sort(rng.choice(living, max(1, len(persons) // 100), replace=False))
    moves = pd.DataFrame({"person": movers, "from": codes_all[rng.integers(0, len(codes_all), len(movers))],
                          "to": persons.loc[movers, "village_id"].to_numpy(),
                          "on": _days_before(rng, len(movers), 200, 3000)})
    other_county = "430381001001"  # 湘乡市 (outside the demo counties)
    if (who := take()) is not None:
        moves.loc[len(moves)] = [who, other_county, persons.at[who, "village_id"], (AS_OF - timedelta(days=20))
                                 .isoformat()]
        planted.append(PlantedAnomaly("C4", "moves", who, "户籍迁入本乡镇 20 天后即享受农村低保"))
    if (who := take()) is not None:
        moves.loc[len(moves)] = [who, persons.at[who, "village_id"], other_county, date(2026, 6, 1).isoformat()]
        planted.append(PlantedAnomaly("E3", "moves", who, "2026-06-01 已迁出本乡镇，仍由原乡镇发放低保"))
    frames["moves"] = _frame(register, "moves", moves["person"], [
        _name(register, moves["person"]), _id(register, moves["person"]), moves["from"].to_numpy(),
        moves["to"].to_numpy(), moves["on"].to_numpy()])
    return frames, planted


def side_registers_write(frames: dict[str, pd.DataFrame], out_dir: Path) -> list[Path]:
    """One CSV (UTF-8 with BOM, as Excel saves it) per register and demo county that has rows of it, named
    KIND_COUNTY.csv; the county of the rows' persons is the region the file covers."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind, frame in frames.items():
        for code, rows in frame.groupby("_county", sort=True):
            path = out_dir / f"{kind}_{code}.csv"
            rows.drop(columns="_county").to_csv(path, index=False, encoding="utf-8-sig")
            paths.append(path)
    return paths


def demo_registers_import(paths: list[Path]) -> list:
    """Import the demo register files through the real register import, each file for its county; returns the
    import jobs."""
    from disbursement.registry import side_imports
    jobs = []
    for path in paths:
        kind, county = path.stem.rsplit("_", 1)
        job = side_imports.register_import_submit(actor=None, kind=kind, scope_code=county.ljust(12, "0"),
                                                  content=path.read_bytes(), file_name=path.name, enqueue=False)
        jobs.append(side_imports.register_import_execute(job_id=job.pk))
    return jobs
