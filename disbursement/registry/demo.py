"""Demo data: a realistic register for a few counties and rosters imported through the real roster path.

Everything is drawn from one `numpy.random.default_rng(seed)` over the villages of the reference data, in a
fixed order, relative to the fixed date AS_OF (not today), so a seed gives the same names, ID and card
numbers, land and amounts on every machine and database. `register_build` is pure (frames only);
`register_write` inserts them set-based (COPY on PostgreSQL, staging tables and INSERT … SELECT for what
needs the persons' keys); `rosters_import` writes one real file per roster (CSV UTF-8, CSV GBK or XLSX) and
sends it through roster_import_submit + import_job_execute, as a clerk's upload goes.

Running again is harmless: the register is recognised by the blind indexes of its first generated persons
and not written twice, and a roster whose people are already on a roster of its item and period is skipped. Only when
another register (another seed) already holds one of the generated ID or card numbers does the database
change the data: that number is drawn again, see _collisions_resolve.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from disbursement import bulk, pii
from disbursement.accounts.demo import DEMO_USERS
from disbursement.accounts.roles import Role
from disbursement.catalog.models import Frequency, Item
from disbursement.catalog.standards import standards_for_rows
from disbursement.errors import ValidationFailed
from disbursement.registry.models import (
    Card,
    CardKind,
    CardStatus,
    DeathRecord,
    Household,
    LandContract,
    Person,
    VillageCadre,
)
from disbursement.rosters.models import ImportStatus, RosterLine
from disbursement.rosters.periods import period_bounds
from disbursement.rosters.services import import_job_execute, roster_import_submit
from geo.models import Region, RegionLevel

DEFAULT_COUNTIES = ("430321", "430382")  # 湘潭县, 韶山市
AS_OF = date(2026, 10, 31)  # ages, deaths and cards are relative to this date, so a seed never drifts with the clock
PERIODS = {Frequency.ANNUAL: "2026", Frequency.ONCE: "2026", Frequency.SEMIANNUAL: "2026H2",
           Frequency.QUARTERLY: "2026Q4", Frequency.MONTHLY: "2026-11"}
# Rosters go to two townships per county, the demo clerks' first; they also get this share of the households
# (on top of their share of the spread) so that even a small register fills every roster item there.
ROSTER_TOWNSHIPS_PER_COUNTY = 2
FOCUS_SHARE = 0.4
CLERK_TOWNSHIPS = tuple(region for _user, role, region, *_rest in DEMO_USERS if role == Role.TOWNSHIP_CLERK)

# Surnames with their share in per cent (national census order), local Hunan names a little heavier.
SURNAMES = {
    "王": 7.25, "李": 7.19, "张": 6.84, "刘": 5.38, "陈": 4.53, "杨": 3.08, "赵": 2.29, "黄": 2.23, "周": 2.12,
    "吴": 2.05, "徐": 1.67, "孙": 1.54, "胡": 1.31, "朱": 1.26, "高": 1.21, "林": 1.18, "何": 1.17, "郭": 1.15,
    "马": 1.05, "罗": 0.86, "梁": 0.84, "宋": 0.81, "郑": 0.78, "谢": 0.72, "韩": 0.68, "唐": 0.65, "冯": 0.64,
    "于": 0.62, "董": 0.61, "萧": 0.59, "程": 0.57, "曹": 0.57, "袁": 0.54, "邓": 0.54, "许": 0.54, "傅": 0.51,
    "沈": 0.50, "曾": 0.50, "彭": 0.50, "吕": 0.47, "苏": 0.46, "卢": 0.46, "蒋": 0.46, "蔡": 0.44, "贾": 0.42,
    "丁": 0.41, "魏": 0.41, "薛": 0.40, "叶": 0.39, "阎": 0.38, "余": 0.37, "潘": 0.36, "杜": 0.35, "戴": 0.34,
    "夏": 0.33, "钟": 0.33, "汪": 0.32, "田": 0.32, "任": 0.31, "姜": 0.31, "范": 0.30, "方": 0.30, "石": 0.29,
    "姚": 0.29, "谭": 0.27, "廖": 0.27, "邹": 0.26, "熊": 0.26, "金": 0.26, "毛": 0.24, "易": 0.22, "贺": 0.20,
}
HUNAN_SURNAMES = {"刘": 1.5, "谭": 3.0, "彭": 2.0, "曾": 2.0, "易": 3.0, "毛": 3.0, "唐": 1.5, "罗": 1.5, "邓": 1.5}
# Given names by generation: whole names for those born before 1960, one or two characters after.
OLD_MALE = ("建国 国华 德明 福生 长庚 炳南 春生 桂生 秋生 永福 德华 志明 光明 金山 海清 正清 汉文 树林 松林 国庆 "
            "解放 建华 满生 运生 冬生 新民 跃进 福贵 长生 有才 德胜 庆云 树德 仲秋 伯勋").split()
OLD_FEMALE = ("秀英 桂英 玉兰 淑珍 秀兰 桂兰 凤英 玉珍 桂香 冬梅 菊香 翠兰 秀珍 金莲 春花 满英 玉梅 秀华 桂芝 腊梅 "
              "桂花 玉英 菊英 秋菊 月娥 三妹 招娣 满妹 银秀 兰英").split()
MID_MALE = tuple("建军国平伟勇志强红卫东明华辉斌刚峰兵文杰涛波俊新忠海林松永利军")
MID_FEMALE = tuple("丽红艳霞燕芳敏静娟萍玲英华琴梅慧蓉娜秀莉平凤")
YOUNG_MALE = tuple("浩宇轩子涵博然俊杰睿泽晨阳磊鹏铭凯航一思嘉梓皓文天乐")
YOUNG_FEMALE = tuple("欣怡梓涵诗雨萱可佳琪思语婷悦雪瑶子晨彤妍")
NUMERALS = ("", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五")
PHONE_PREFIXES = tuple(str(p) for p in (*range(130, 140), 150, 151, 152, 155, 157, 158, 159,
                                         180, 181, 182, 183, 185, 186, 187, 188, 189))
# Card BINs (all in registry/data/card_bins.csv) with the share of social-security cards each bank issues here.
CARD_BANKS = {"623090": ("湖南省农村信用社联合社", 0.35), "622848": ("中国农业银行", 0.25),
              "622188": ("中国邮政储蓄银行", 0.20), "621700": ("中国建设银行", 0.10), "622202": ("中国工商银行", 0.10)}
# Head of household's age: (from, to, share); rural Hunan is old.
HEAD_AGE_BANDS = ((25, 35, 0.08), (35, 45, 0.14), (45, 55, 0.22), (55, 65, 0.24), (65, 75, 0.20), (75, 85, 0.10),
                  (85, 96, 0.02))
ROLE_ORDER = {"head": 0, "spouse": 1, "parent": 2, "child": 3, "grandchild": 4}
DIBAO_STANDARD_FEN = {"rural": 45000, "urban": 72000}  # monthly per person, 湘潭 around 2026 (demo figures)
LOAN_YUAN = (20000, 30000, 50000)  # 脱贫人口小额信贷: interest subsidy per quarter = loan × 3.45 % ÷ 4
CADRE_POSTS = {"secretary": "村党组织书记、村民委员会主任", "committee_member": "村民委员会委员",
               "group_leader": "村民小组长"}
CADRE_TERM = (date(2026, 3, 1), date(2031, 2, 28))
DEATH_SOURCES = ("民政殡葬管理信息系统", "公安户籍注销", "卫健死亡医学证明")
FLAG_ATTRIBUTES = ("household_head", "farmer", "land_contract", "low_income", "reservoir_migrant")
VALUE_ATTRIBUTES = ("disability_grade", "disability_kind", "minimum_living", "extreme_poverty", "student_stage",
                    "family_planning", "veteran_category", "village_cadre")
_ID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_ID_CHECK = np.array(list("10X98765432"))


@dataclass
class DemoRegister:
    """Frames indexed by household / person number; other frames point at persons by that number."""

    households: pd.DataFrame  # village_id, group, group_no
    persons: pd.DataFrame  # household, role, name, id_number, sex, birth_date, village_id, group, phone, deceased_on,
    #                        dibao_fen (monthly 低保 per person), loan_yuan (head's 小额信贷)
    attributes: pd.DataFrame  # one column per eligibility attribute; None (or False for flags) when absent
    cards: pd.DataFrame  # person, bank, number, status
    land: pd.DataFrame  # person (the head), area_milli_mu
    cadres: pd.DataFrame  # person, post
    deaths: pd.DataFrame  # person, died_on, source

    def counts(self) -> dict[str, int]:
        return {"households": len(self.households), "persons": len(self.persons), "cards": len(self.cards),
                "land contracts": len(self.land), "village cadres": len(self.cadres), "deaths": len(self.deaths)}


@dataclass
class RosterOutcome:
    item: str
    item_name: str
    township: str
    township_name: str
    period: str
    rows: int
    total_fen: int
    status: str  # accepted, rejected, failed, skipped
    file: Path | None = None
    message: str = ""
    errors: list = field(default_factory=list)


@dataclass
class DemoResult:
    created: bool
    counts: dict[str, int]
    rosters: list[RosterOutcome]
    register_files: list[Path] = field(default_factory=list)  # side registers (disbursement.registry.demo_registers)
    planted: list = field(default_factory=list)  # their PlantedAnomaly rows


# ------------------------------------------------------------------------------------------------ regions


def demo_villages(county_codes) -> pd.DataFrame:
    """Villages (and urban communities) of the counties: code, name, township, county, urban; by code."""
    counties = sorted({str(code).strip()[:6] for code in county_codes})
    known = set(Region.objects.filter(level=RegionLevel.COUNTY, code__in=[c.ljust(12, "0") for c in counties])
                .values_list("code", flat=True))
    unknown = [c for c in counties if c.ljust(12, "0") not in known]
    if unknown or not counties:
        raise ValidationFailed(_("No county %(codes)s in the region tree (give 6-digit county codes; run "
                                 "load_reference first).") % {"codes": ", ".join(unknown)}, field="counties")
    inside = Q()
    for county in counties:
        inside |= Q(code__startswith=county)
    villages = pd.DataFrame(Region.objects.filter(inside, level=RegionLevel.VILLAGE).order_by("code")
                            .values_list("code", "name"), columns=["code", "name"])
    if villages.empty:
        raise ValidationFailed(_("The counties have no villages in the region tree."), field="counties")
    villages["township"] = villages["code"].str[:9] + "000"
    villages["county"] = villages["code"].str[:6]
    # Statistical codes 001-199 are residents' committees (社区), 200 and above village committees (村).
    villages["urban"] = villages["code"].str[9:].astype(int) < 200
    return villages


def roster_townships(villages: pd.DataFrame) -> list[str]:
    """Per county the demo clerks' townships first, then those with most villages."""
    towns = villages.groupby(["county", "township"]).size().rename("villages").reset_index()
    towns["clerk"] = towns["township"].isin(CLERK_TOWNSHIPS)
    towns = towns.sort_values(["county", "clerk", "villages", "township"], ascending=[True, False, False, True])
    return towns.groupby("county").head(ROSTER_TOWNSHIPS_PER_COUNTY)["township"].tolist()


# ------------------------------------------------------------------------------------------- numbers


def _digits(numbers: np.ndarray, width: int) -> np.ndarray:
    return (numbers[:, None] // 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)) % 10


def id_numbers_make(prefix: np.ndarray, birth: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """GB 11643 numbers from a 6-digit region prefix, datetime64 birth dates and 3-digit sequence numbers."""
    ymd = pd.DatetimeIndex(birth).strftime("%Y%m%d").astype(np.int64).to_numpy()
    first17 = prefix.astype(np.int64) * 10**11 + ymd * 1000 + seq.astype(np.int64)
    check = _ID_CHECK[(_digits(first17, 17) @ _ID_WEIGHTS) % 11]
    return np.char.add(first17.astype(str), check).astype(object)


def card_numbers_make(bins: np.ndarray, body: np.ndarray) -> np.ndarray:
    """19-digit numbers: a 6-digit BIN, 12 digits, a Luhn check digit."""
    payload = bins.astype(np.int64) * 10**12 + body.astype(np.int64)
    digits = _digits(payload, 18)[:, ::-1]  # rightmost first; it sits next to the check digit, so it is doubled
    doubled = digits[:, 0::2] * 2
    total = (doubled - 9 * (doubled > 9)).sum(axis=1) + digits[:, 1::2].sum(axis=1)
    return np.char.add(payload.astype(str), ((10 - total % 10) % 10).astype(str)).astype(object)


def _age_on(birth: pd.Series, on: date) -> pd.Series:
    """Whole years at `on`, the way rosters.checks counts them."""
    before_birthday = (birth.dt.month > on.month) | ((birth.dt.month == on.month) & (birth.dt.day > on.day))
    return on.year - birth.dt.year - before_birthday.astype("int64")


def _ordinal(counts: np.ndarray) -> np.ndarray:
    """0, 1, … within each run of np.repeat(…, counts)."""
    starts = np.cumsum(counts) - counts
    return np.arange(counts.sum()) - np.repeat(starts, counts)


# -------------------------------------------------------------------------------------- the register


def register_build(*, villages: pd.DataFrame, households: int, seed: int) -> DemoRegister:
    """The whole register as frames, from the villages and the seed alone (no database access)."""
    rng = np.random.default_rng(seed)
    hh = _households_draw(rng, villages, households)
    persons = _members_draw(rng, hh)
    persons["name"] = _names_draw(rng, persons)
    seq = rng.integers(0, 500, len(persons)) * 2 + (persons["sex"] == "M").to_numpy()
    persons["id_number"] = _ids_unique(rng, persons, seq)
    persons["phone"] = _phones_draw(rng, persons)
    attributes, persons = _attributes_draw(rng, hh, persons)
    land = _land_draw(rng, hh, persons, attributes)
    cadres = _cadres_draw(rng, persons, attributes)
    deaths = _deaths_draw(rng, persons)
    persons["deceased_on"] = pd.Series(deaths.set_index("person")["died_on"]).reindex(persons.index)
    cards = _cards_draw(rng, persons)
    return DemoRegister(households=hh[["village_id", "group", "group_no"]], persons=persons, attributes=attributes,
                        cards=cards, land=land, cadres=cadres, deaths=deaths)


def _households_draw(rng, villages: pd.DataFrame, n: int) -> pd.DataFrame:
    weight = np.where(villages["urban"], 0.4, 1.0)
    focus = weight * villages["township"].isin(roster_townships(villages)).to_numpy()
    to_focus = rng.random(n) < FOCUS_SHARE
    spread = rng.choice(len(villages), n, p=weight / weight.sum())
    focused = rng.choice(len(villages), n, p=focus / focus.sum())
    where = np.where(to_focus, focused, spread)
    groups = rng.integers(6, 16, len(villages))[where]
    group_no = 1 + (rng.random(n) * groups).astype(int)
    band = rng.choice(len(HEAD_AGE_BANDS), n, p=[b[2] for b in HEAD_AGE_BANDS])
    low, high = np.array([b[0] for b in HEAD_AGE_BANDS])[band], np.array([b[1] for b in HEAD_AGE_BANDS])[band]
    return pd.DataFrame({
        "village_id": villages["code"].to_numpy()[where],
        "urban": villages["urban"].to_numpy()[where],
        "group_no": group_no,
        "group": np.char.add(np.array(NUMERALS)[group_no], "组"),
        "head_age": low + rng.random(n) * (high - low),
    })


def _surname_weights() -> np.ndarray:
    weights = np.array([share * HUNAN_SURNAMES.get(name, 1.0) for name, share in SURNAMES.items()])
    return weights / weights.sum()


def _members_draw(rng, hh: pd.DataFrame) -> pd.DataFrame:
    """Head, spouse, the head's parents, children and grandchildren, with plausible ages; at most six."""
    n = len(hh)
    age = hh["head_age"].to_numpy()
    single = rng.random(n) < np.where(age >= 65, 0.25, 0.04)
    head_male = rng.random(n) < np.where(single & (age >= 70), 0.45, 0.88)
    spouse = ~single & (rng.random(n) < np.select([age < 70, age < 80], [0.9, 0.7], 0.45))
    young = age < 60
    children = np.where(young, rng.choice(4, n, p=[0.1, 0.4, 0.4, 0.1]), rng.choice(2, n, p=[0.7, 0.3]))
    grandchildren = np.where((age >= 50) & (age < 76), rng.choice(3, n, p=[0.6, 0.25, 0.15]), 0)
    parents = np.where(young, rng.choice(3, n, p=[0.55, 0.3, 0.15]), 0)
    children, grandchildren, parents = (np.where(single, 0, c) for c in (children, grandchildren, parents))

    index = np.arange(n)
    parts = []
    parts.append(pd.DataFrame({"household": index, "role": "head", "ordinal": 0, "age": age,
                               "male": head_male}))
    s = np.flatnonzero(spouse)
    parts.append(pd.DataFrame({"household": s, "role": "spouse", "ordinal": 0,
                               "age": np.clip(age[s] + rng.normal(0, 3, len(s)) + np.where(head_male[s], -2, 2),
                                              20, 99),
                               "male": ~head_male[s]}))
    for role, counts, gap in (("child", children, (22, 32)), ("grandchild", grandchildren, (46, 60))):
        owner = np.repeat(index, counts)
        ordinal = _ordinal(counts)
        parts.append(pd.DataFrame({"household": owner, "role": role, "ordinal": ordinal,
                                   "age": age[owner] - rng.uniform(*gap, len(owner)) - 3 * ordinal,
                                   "male": rng.random(len(owner)) < 0.52}))
    owner = np.repeat(index, parents)
    ordinal = _ordinal(parents)
    both = parents[owner] == 2
    parts.append(pd.DataFrame({"household": owner, "role": "parent", "ordinal": ordinal,
                               "age": age[owner] + rng.uniform(22, 32, len(owner)) + 2 * (both & (ordinal == 0)),
                               "male": np.where(both, ordinal == 0, rng.random(len(owner)) < 0.3)}))
    members = pd.concat(parts, ignore_index=True)
    # Few of the heads' parents and spouses live past 90: thin them out from 80 on.
    survives = (members["role"] == "head") | (rng.random(len(members)) < np.exp(-(members["age"] - 80).clip(0) / 7))
    members = members[(members["age"] >= 0) & (members["age"] < 101) & survives]
    members = members.assign(order=members["role"].map(ROLE_ORDER)).sort_values(
        ["household", "order", "ordinal"], kind="stable")
    members = members[members.groupby("household").cumcount() < 6].reset_index(drop=True)

    days = np.floor(members["age"].to_numpy() * 365.2425).astype("timedelta64[D]")
    members["birth_date"] = pd.to_datetime(np.datetime64(AS_OF) - days)
    members["sex"] = np.where(members["male"], "M", "F")
    members["village_id"] = hh["village_id"].to_numpy()[members["household"]]
    members["group"] = hh["group"].to_numpy()[members["household"]]
    return members.drop(columns=["order", "age", "male"])


def _names_draw(rng, persons: pd.DataFrame) -> np.ndarray:
    n = len(persons)
    male = (persons["sex"] == "M").to_numpy()
    role = persons["role"].to_numpy()
    year = persons["birth_date"].dt.year.to_numpy()
    # The household's surname passes to its men and its children; wives and the head's mother married in.
    lineage = np.isin(role, ["child", "grandchild"]) | (male & np.isin(role, ["head", "spouse", "parent"]))
    own = rng.choice(list(SURNAMES), n, p=_surname_weights())
    household_surname = persons["household"].map(
        pd.Series(rng.choice(list(SURNAMES), persons["household"].max() + 1, p=_surname_weights()))).to_numpy()
    surname = np.where(lineage, household_surname, own)

    def pick(pool, size):
        return np.array(pool)[rng.integers(0, len(pool), size)]

    old = np.where(male, pick(OLD_MALE, n), pick(OLD_FEMALE, n))
    mid = np.char.add(np.where(male, pick(MID_MALE, n), pick(MID_FEMALE, n)),
                      np.where(rng.random(n) < 0.25, "", np.where(male, pick(MID_MALE, n), pick(MID_FEMALE, n))))
    new = np.char.add(np.where(male, pick(YOUNG_MALE, n), pick(YOUNG_FEMALE, n)),
                      np.where(rng.random(n) < 0.1, "", np.where(male, pick(YOUNG_MALE, n), pick(YOUNG_FEMALE, n))))
    given = np.select([year < 1960, year < 1990], [old, mid], new)
    return np.char.add(surname.astype(str), given.astype(str)).astype(object)


def _ids_unique(rng, persons: pd.DataFrame, seq: np.ndarray) -> np.ndarray:
    prefix = persons["village_id"].str[:6].astype(np.int64).to_numpy()
    birth = persons["birth_date"].to_numpy()
    male = (persons["sex"] == "M").to_numpy()
    ids = id_numbers_make(prefix, birth, seq)
    while (repeated := pd.Series(ids).duplicated().to_numpy()).any():
        seq[repeated] = rng.integers(0, 500, repeated.sum()) * 2 + male[repeated]
        ids[repeated] = id_numbers_make(prefix[repeated], birth[repeated], seq[repeated])
    return ids


def _phones_draw(rng, persons: pd.DataFrame) -> np.ndarray:
    n = len(persons)
    age = _age_on(persons["birth_date"], AS_OF).to_numpy()
    has = rng.random(n) < np.select([age < 18, age < 70], [0.0, 0.75], 0.35)
    number = rng.choice(np.array(PHONE_PREFIXES).astype(np.int64), n) * 10**8 + rng.integers(0, 10**8, n)
    return np.where(has, number.astype(str), "").astype(object)


def _attributes_draw(rng, hh: pd.DataFrame, persons: pd.DataFrame):
    """The facts eligibility rules read (names and values as in catalog.toml), plus the amounts rosters pay."""
    n_hh, n = len(hh), len(persons)
    home = persons["household"].to_numpy()
    age = _age_on(persons["birth_date"], AS_OF).to_numpy()
    male = (persons["sex"] == "M").to_numpy()
    role = persons["role"].to_numpy()
    urban = hh["urban"].to_numpy()
    size = np.bincount(home, minlength=n_hh)
    place = np.where(urban, "urban", "rural")

    # Household-level: 低保 (about 5 % of people), 特困 (old people living alone), 低收入 (monitored families).
    dibao = rng.random(n_hh) < 0.045
    dibao_class = rng.choice(["a", "b", "c"], n_hh, p=[0.2, 0.45, 0.35])
    standard = np.where(urban, DIBAO_STANDARD_FEN["urban"], DIBAO_STANDARD_FEN["rural"])
    share = np.select([dibao_class == "a", dibao_class == "b"],
                      [1.0, rng.uniform(0.55, 0.85, n_hh)], rng.uniform(0.3, 0.55, n_hh))
    dibao_fen = np.where(dibao, (standard * share / 100).round().astype(np.int64) * 100, 0)  # whole yuan
    poor = ~dibao & (size == 1) & (hh["head_age"].to_numpy() >= 60) & (rng.random(n_hh) < 0.3)
    poor_kind = np.where(rng.random(n_hh) < 0.85, "dispersed", "centralized")
    low_income_hh = dibao | poor | (rng.random(n_hh) < 0.06)
    migrant = ~urban & (rng.random(n_hh) < 0.03)
    loan = low_income_hh & ~poor & (hh["head_age"].to_numpy() < 65) & (rng.random(n_hh) < 0.6)
    loan_yuan = rng.choice(LOAN_YUAN, n_hh)

    disabled = rng.random(n) < np.where(age >= 60, 0.11, 0.04)
    grade = rng.choice(["1", "2", "3", "4"], n, p=[0.12, 0.22, 0.30, 0.36])
    kind = rng.choice(["physical", "visual", "hearing", "speech", "intellectual", "mental", "autism"], n,
                      p=[0.45, 0.12, 0.15, 0.02, 0.10, 0.13, 0.03])
    kind = np.where((kind == "autism") & (age >= 30), "physical", kind)
    senior_track = rng.random(n) < 0.65
    stage = np.select(
        [(age >= 3) & (age <= 5), (age >= 6) & (age <= 11), (age >= 12) & (age <= 14), (age >= 15) & (age <= 17),
         (age >= 18) & (age <= 21) & (rng.random(n) < 0.45)],
        ["preschool", "primary", "junior", np.where(senior_track, "senior", "vocational"), "college"], "")
    rural_person = ~urban[home]
    planning = np.select([rural_person & (age >= 60) & (rng.random(n) < 0.08),
                          ~rural_person & (age >= 35) & (age < 60) & (rng.random(n) < 0.05)],
                         ["reward_support", "only_child_parent"], "")
    veteran = np.where(male & (age >= 40) & (age <= 75) & (rng.random(n) < 0.015),
                       np.where(rural_person, "rural_retired_soldier", "retired_soldier"), "")

    def values(mask, labels):
        return pd.Series(np.where(mask, labels, None), dtype=object)

    attributes = pd.DataFrame({
        "household_head": role == "head",
        "farmer": rural_person & (age >= 18),
        "land_contract": np.zeros(n, dtype=bool),  # set by _land_draw
        "low_income": low_income_hh[home] | (disabled & (rng.random(n) < 0.35)),
        "reservoir_migrant": migrant[home],
        "disability_grade": values(disabled, grade),
        "disability_kind": values(disabled, kind),
        "minimum_living": values(dibao[home], np.char.add(np.char.add(place[home], "_"), dibao_class[home])),
        "extreme_poverty": values(poor[home], np.char.add(np.char.add(place[home], "_"), poor_kind[home])),
        "student_stage": values(stage != "", stage),
        "family_planning": values(planning != "", planning),
        "veteran_category": values(veteran != "", veteran),
        "village_cadre": pd.Series(None, index=range(n), dtype=object),  # set by _cadres_draw
    })
    persons = persons.assign(dibao_fen=dibao_fen[home],
                             loan_yuan=np.where(loan[home] & (role == "head"), loan_yuan[home], 0))
    return attributes, persons


def _land_draw(rng, hh: pd.DataFrame, persons: pd.DataFrame, attributes: pd.DataFrame) -> pd.DataFrame:
    """Farming households' contracted land, held by the head: 1.5-12 mu, more for bigger households."""
    heads = persons.index[(persons["role"] == "head").to_numpy()]
    home = persons.loc[heads, "household"].to_numpy()
    size = np.bincount(persons["household"], minlength=len(hh))[home]
    farming = attributes.loc[heads, "farmer"].to_numpy() & (rng.random(len(heads)) < 0.85)
    area = np.clip(rng.lognormal(np.log(1.5 + 1.1 * np.minimum(size, 5)), 0.35, len(heads)), 1.5, 12.0)
    land = pd.DataFrame({"person": heads, "area_milli_mu": (area * 100).round().astype(np.int64) * 10})[farming]
    attributes.loc[land["person"], "land_contract"] = True
    return land.reset_index(drop=True)


def _cadres_draw(rng, persons: pd.DataFrame, attributes: pd.DataFrame) -> pd.DataFrame:
    """A few working-age household heads are cadres: in each village the first is its secretary, the second
    a committee member, any further ones group leaders."""
    age = _age_on(persons["birth_date"], AS_OF)
    heads = persons[(persons["role"] == "head") & (age >= 30) & (age <= 65)]
    heads = heads[rng.random(len(heads)) < 0.08].sort_values("village_id", kind="stable")
    rank = heads.groupby("village_id").cumcount().to_numpy()
    post = np.select([rank == 0, rank == 1], ["secretary", "committee_member"], "group_leader")
    cadres = pd.DataFrame({"person": heads.index, "post": post}).sort_values("person")
    attributes.loc[cadres["person"], "village_cadre"] = cadres["post"].to_numpy()
    return cadres.reset_index(drop=True)


def _deaths_draw(rng, persons: pd.DataFrame) -> pd.DataFrame:
    """A handful of old people who died this year or last, registered by one of the death sources."""
    old = persons.index[(_age_on(persons["birth_date"], AS_OF) >= 70).to_numpy()]
    count = min(len(old), max(3, round(len(persons) * 0.003)))
    person = np.sort(rng.choice(old, count, replace=False))
    died = np.datetime64(AS_OF) - rng.integers(15, 400, count).astype("timedelta64[D]")
    return pd.DataFrame({"person": person, "died_on": pd.to_datetime(died),
                         "source": rng.choice(DEATH_SOURCES, count)})


def _cards_draw(rng, persons: pd.DataFrame) -> pd.DataFrame:
    """One active social-security card each, and a closed older card for some adults."""
    n = len(persons)
    bins = np.array(list(CARD_BANKS))
    shares = np.array([share for _bank, share in CARD_BANKS.values()])
    age = _age_on(persons["birth_date"], AS_OF).to_numpy()
    old = np.flatnonzero((age >= 30) & (rng.random(n) < 0.04))
    owner = np.concatenate([persons.index.to_numpy(), persons.index.to_numpy()[old]])
    status = np.concatenate([np.full(n, CardStatus.ACTIVE.value), np.full(len(old), CardStatus.CLOSED.value)])
    card_bin = rng.choice(bins, len(owner), p=shares / shares.sum())
    number = card_numbers_make(card_bin.astype(np.int64), rng.integers(0, 10**12, len(owner)))
    while (repeated := pd.Series(number).duplicated().to_numpy()).any():
        number[repeated] = card_numbers_make(card_bin[repeated].astype(np.int64),
                                             rng.integers(0, 10**12, repeated.sum()))
    banks = {b: bank for b, (bank, _share) in CARD_BANKS.items()}
    return pd.DataFrame({"person": owner, "bank": pd.Series(card_bin).map(banks).to_numpy(), "number": number,
                         "status": status})


# --------------------------------------------------------------------------------------------- writing


def register_exists(register: DemoRegister) -> bool:
    """The register of these arguments is in the database when one of its first persons is (same ID number and
    name); several, because a clash with another register may have made the first one draw a new number."""
    first = register.persons.head(20)
    wanted = set(zip(pii.blind_index_many(first["id_number"].tolist()), first["name"], strict=True))
    found = Person.objects.filter(id_hash__in=[h for h, _name in wanted]).values_list("id_hash", "name")
    return any((id_hash.hex, name) in wanted for id_hash, name in found)


def _masked(values: pd.Series, head: int, tail: int, middle: str) -> pd.Series:
    return values.str[:head] + middle + values.str[-tail:]


def _taken(cursor, hashes: list[str], tables: list[tuple[str, str]]) -> set[str]:
    """Which of the hashes some row of the given (table, column)s already holds, by one join each."""
    bulk.stage_create(cursor, "demo_hash_stage", {"h": "uuid"})
    bulk.stage_fill(cursor, "demo_hash_stage", pd.DataFrame({"h": hashes}))
    taken = set()
    for table, column in tables:
        found = bulk.rows_fetch(cursor, f"SELECT s.h FROM demo_hash_stage s JOIN {table} t ON t.{column} = s.h")
        taken |= {str(value).replace("-", "") for value in found["h"]}
    bulk.stage_drop(cursor, "demo_hash_stage")
    return taken


def _collisions_resolve(cursor, register: DemoRegister, seed: int) -> None:
    """Another demo register (another seed) may hold a few of the same ID or card numbers: draw those again,
    from a stream of their own so that the rest of the data does not move."""
    rng = np.random.default_rng([seed, 1])
    persons, cards = register.persons, register.cards
    person_tables = [(Person._meta.db_table, "id_hash"), (DeathRecord._meta.db_table, "id_hash")]
    while True:
        hashes = pii.blind_index_many(persons["id_number"].tolist())
        clash = np.isin(hashes, list(_taken(cursor, hashes, person_tables)))
        clash |= persons["id_number"].duplicated().to_numpy()
        if not clash.any():
            break
        male = (persons["sex"] == "M").to_numpy()
        persons.loc[clash, "id_number"] = id_numbers_make(
            persons.loc[clash, "village_id"].str[:6].astype(np.int64).to_numpy(),
            persons.loc[clash, "birth_date"].to_numpy(), rng.integers(0, 500, clash.sum()) * 2 + male[clash])
    while True:
        hashes = pii.blind_index_many(cards["number"].tolist())
        clash = np.isin(hashes, list(_taken(cursor, hashes, [(Card._meta.db_table, "number_hash")])))
        clash |= cards["number"].duplicated().to_numpy()
        if not clash.any():
            break
        cards.loc[clash, "number"] = card_numbers_make(cards.loc[clash, "number"].str[:6].astype(np.int64).to_numpy(),
                                                       rng.integers(0, 10**12, clash.sum()))


def register_write(register: DemoRegister, *, seed: int) -> None:
    """Insert the register in one transaction: households, persons (COPY), heads, cards, land, cadres, deaths."""
    now = timezone.now().isoformat()
    persons, attributes = register.persons, register.attributes
    table = {model: model._meta.db_table for model in (Household, Person, Card, LandContract, VillageCadre,
                                                       DeathRecord)}
    with transaction.atomic(), connection.cursor() as cursor:
        _collisions_resolve(cursor, register, seed)
        # Households are few next to persons; bulk_create hands back their keys for the persons to point at.
        homes = register.households
        made = Household.objects.bulk_create(
            [Household(village_id=v, group=g) for v, g in zip(homes["village_id"], homes["group"], strict=True)],
            batch_size=5000)
        household_id = np.array([h.pk for h in made], dtype=np.int64)

        id_hash = pd.Series(pii.blind_index_many(persons["id_number"].tolist()), index=persons.index)
        id_masked = _masked(persons["id_number"], 3, 4, "*" * 11)
        id_cipher = pd.Series(pii.encrypt_many(persons["id_number"].tolist()), index=persons.index)
        # Side-register rows look imported: each covers the person's county (its scope) and keeps the cipher.
        county = persons["village_id"].str[:6] + "000000"
        phone = persons["phone"]
        has_phone = (phone != "").to_numpy()
        phone_cipher = pd.Series("", index=persons.index, dtype=object)
        phone_cipher[has_phone] = pii.encrypt_many(phone[has_phone].tolist())
        bulk.table_copy(cursor, table[Person], pd.DataFrame({
            "name": persons["name"],
            "id_hash": id_hash,
            "id_cipher": id_cipher,
            "id_masked": id_masked,
            "sex": persons["sex"],
            "birth_date": persons["birth_date"].dt.strftime("%Y-%m-%d"),
            "village_id": persons["village_id"],
            "group": persons["group"],
            "household_id": household_id[persons["household"].to_numpy()],
            "phone_cipher": phone_cipher,
            "phone_masked": _masked(phone, 3, 4, "****").where(has_phone, ""),
            "deceased_on": persons["deceased_on"].dt.strftime("%Y-%m-%d").astype(object)
                                                 .where(persons["deceased_on"].notna(), None),
            "attributes": _attributes_json(attributes),
            "created_at": now,
        }), text_columns=("group", "phone_cipher", "phone_masked"))

        heads = persons["role"] == "head"
        bulk.stage_create(cursor, "demo_head_stage", {"household_id": "bigint", "id_hash": "uuid"})
        bulk.stage_fill(cursor, "demo_head_stage", pd.DataFrame({
            "household_id": household_id[persons.loc[heads, "household"].to_numpy()],
            "id_hash": id_hash[heads].to_numpy()}))
        cursor.execute(f"""
            UPDATE {table[Household]} SET head_id = (
                SELECT p.id FROM demo_head_stage s JOIN {table[Person]} p ON p.id_hash = s.id_hash
                WHERE s.household_id = {table[Household]}.id)
            WHERE id IN (SELECT household_id FROM demo_head_stage)""")
        bulk.stage_drop(cursor, "demo_head_stage")

        cards = register.cards
        bulk.stage_create(cursor, "demo_card_stage", {"id_hash": "uuid", "bank": "text", "number_hash": "uuid",
                                                      "number_cipher": "text", "number_masked": "text",
                                                      "status": "text", "seq": "bigint"})
        bulk.stage_fill(cursor, "demo_card_stage", pd.DataFrame({
            "id_hash": id_hash.loc[cards["person"]].to_numpy(),
            "bank": cards["bank"],
            "number_hash": pii.blind_index_many(cards["number"].tolist()),
            "number_cipher": pii.encrypt_many(cards["number"].tolist()),
            "number_masked": _masked(cards["number"], 4, 4, " **** **** "),
            "status": cards["status"],
            "seq": np.arange(len(cards)),
        }))
        cursor.execute(f"""
            INSERT INTO {table[Card]} (person_id, bank, kind, number_hash, number_cipher, number_masked, status,
                                      created_at)
            SELECT p.id, s.bank, %s, s.number_hash, s.number_cipher, s.number_masked, s.status, %s
            FROM demo_card_stage s JOIN {table[Person]} p ON p.id_hash = s.id_hash ORDER BY s.seq""",
                       [CardKind.SOCIAL_SECURITY, now])
        bulk.stage_drop(cursor, "demo_card_stage")

        land = register.land
        holders = persons.loc[land["person"]]
        bulk.table_copy(cursor, table[LandContract], pd.DataFrame({
            "id_hash": id_hash.loc[land["person"]].to_numpy(),
            "id_cipher": id_cipher.loc[land["person"]].to_numpy(),
            "id_masked": id_masked.loc[land["person"]].to_numpy(),
            "scope_id": county.loc[land["person"]].to_numpy(),
            "name": holders["name"].to_numpy(),
            "village_id": holders["village_id"].to_numpy(),
            "contract_number": _contract_numbers(cursor, holders, register.households, table[LandContract]),
            "area_milli_mu": land["area_milli_mu"].to_numpy(),
            "imported_at": now,
        }))
        cadres = register.cadres
        bulk.table_copy(cursor, table[VillageCadre], pd.DataFrame({
            "id_hash": id_hash.loc[cadres["person"]].to_numpy(),
            "id_cipher": id_cipher.loc[cadres["person"]].to_numpy(),
            "id_masked": id_masked.loc[cadres["person"]].to_numpy(),
            "scope_id": county.loc[cadres["person"]].to_numpy(),
            "name": persons.loc[cadres["person"], "name"].to_numpy(),
            "village_id": persons.loc[cadres["person"], "village_id"].to_numpy(),
            "post": cadres["post"].map(CADRE_POSTS).to_numpy(),
            "term_start": CADRE_TERM[0].isoformat(),
            "term_end": CADRE_TERM[1].isoformat(),
            "imported_at": now,
        }))
        deaths = register.deaths
        bulk.table_copy(cursor, table[DeathRecord], pd.DataFrame({
            "id_hash": id_hash.loc[deaths["person"]].to_numpy(),
            "id_cipher": id_cipher.loc[deaths["person"]].to_numpy(),
            "id_masked": id_masked.loc[deaths["person"]].to_numpy(),
            "scope_id": county.loc[deaths["person"]].to_numpy(),
            "name": persons.loc[deaths["person"], "name"].to_numpy(),
            "died_on": deaths["died_on"].dt.strftime("%Y-%m-%d").to_numpy(),
            "source": deaths["source"].to_numpy(),
            "imported_at": now,
        }))


def _contract_numbers(cursor, holders: pd.DataFrame, households: pd.DataFrame, land_table: str) -> np.ndarray:
    """Village code + group (2 digits) + household serial (4 digits) + J (家庭承包); the serials continue after
    the contracts the village group already has, so a second demo register never reuses a number."""
    group_no = households["group_no"].to_numpy()[holders["household"].to_numpy()]
    key = pd.Series(holders["village_id"].to_numpy(), dtype=object) + pd.Series(group_no).map("{:02d}".format)
    existing = bulk.rows_fetch(cursor, f"""
        SELECT substr(contract_number, 1, 14) AS k, max(substr(contract_number, 15, 4)) AS n FROM {land_table}
        WHERE length(contract_number) = 19 AND contract_number LIKE '%%J' GROUP BY substr(contract_number, 1, 14)""")
    offset = key.map(existing.set_index("k")["n"].astype(np.int64)).fillna(0).astype(np.int64)
    serial = offset + key.groupby(key).cumcount() + 1
    return (key + serial.map("{:04d}".format) + "J").to_numpy()


def _attributes_json(attributes: pd.DataFrame) -> pd.Series:
    """One JSON object per person, holding only the attributes the person has, built column-wise."""
    parts = pd.Series("", index=attributes.index, dtype=object)
    for name in FLAG_ATTRIBUTES:
        parts = parts + np.where(attributes[name].to_numpy(dtype=bool), f'"{name}": true, ', "")
    for name in VALUE_ATTRIBUTES:
        column = attributes[name]
        parts = parts + np.where(column.notna(), f'"{name}": "' + column.astype(str) + '", ', "")
    return "{" + parts.str[:-2] + "}"


# --------------------------------------------------------------------------------------------- rosters


@dataclass(frozen=True)
class RosterPlan:
    """One roster item: its file format, and who among the eligible is paid how much."""

    item: str
    file_format: str  # xlsx, csv-utf8 (with BOM, as Excel saves "CSV UTF-8"), csv-gbk
    # (register, eligible persons, item) -> person, quantity_milli, rate_fen, remark; default: 1 × the standard
    select: Callable[[DemoRegister, pd.Index, Item], pd.DataFrame] | None = None


def _per_person(register, people, item) -> pd.DataFrame:
    return pd.DataFrame({"person": people, "quantity_milli": 1000, "rate_fen": item.standard_fen, "remark": ""})


def _farmland(register, people, item) -> pd.DataFrame:
    land = register.land[register.land["person"].isin(people)]
    area = land["area_milli_mu"]
    return pd.DataFrame({"person": land["person"].to_numpy(), "quantity_milli": area.to_numpy(),
                         "rate_fen": item.standard_fen,
                         "remark": ("确权面积" + _decimal_text(area, 3, trim=True) + "亩").to_numpy()})


def _dibao(register, people, item) -> pd.DataFrame:
    rate = register.persons.loc[people, "dibao_fen"]
    return pd.DataFrame({"person": people, "quantity_milli": 1000, "rate_fen": rate.to_numpy(), "remark": ""})


def _low_income_pupils(register, people, item) -> pd.DataFrame:
    return _per_person(register, people[register.attributes.loc[people, "low_income"].to_numpy(dtype=bool)], item)


def _loan_interest(register, people, item) -> pd.DataFrame:
    loan = register.persons.loc[people, "loan_yuan"]
    loan = loan[loan > 0]
    # A quarter's interest at the 3.45 % LPR: yuan × 100 × 0.0345 ÷ 4 fen, exact for whole-thousand loans.
    return pd.DataFrame({"person": loan.index, "quantity_milli": 1000, "rate_fen": (loan * 345 // 400).to_numpy(),
                         "remark": ("贷款" + (loan // 10000).astype(str) + "万元").to_numpy()})


ROSTER_PLANS = (
    RosterPlan("0101", "xlsx", _farmland),  # 耕地地力保护补贴, per mu of contracted land, yearly
    RosterPlan("0301", "csv-gbk"),  # 大中型水库移民后期扶持直补资金, per person, yearly
    RosterPlan("0404", "csv-utf8", _dibao),  # 农村低保 A/B/C: monthly, the rate set per person
    RosterPlan("0405", "csv-gbk", _dibao),
    RosterPlan("0406", "xlsx", _dibao),
    RosterPlan("0503", "csv-utf8"),  # 农村特困人员基本生活费（分散供养）
    RosterPlan("0701", "csv-gbk"),  # 困难残疾人生活补贴（一、二级）
    RosterPlan("0703", "xlsx"),  # 重度残疾人护理补贴（一级）
    RosterPlan("0704", "csv-utf8"),  # 重度残疾人护理补贴（二级）
    RosterPlan("0801", "csv-gbk"),  # 高龄津贴（80—89周岁）
    RosterPlan("0802", "xlsx"),  # 高龄津贴（90—99周岁）
    RosterPlan("1205", "csv-utf8", _low_income_pupils),  # 义务教育家庭经济困难非寄宿生生活补助（小学）, half-yearly
    RosterPlan("1424", "xlsx", _loan_interest),  # 脱贫人口小额信贷贴息, per household, quarterly
)
ROSTER_COLUMNS = ("姓名", "身份证号", "社保卡号", "开户银行", "村(社区)代码", "村民小组", "数量", "标准", "金额",
                  "联系电话", "备注")


def _decimal_text(units: pd.Series, decimals: int, *, trim: bool = False) -> pd.Series:
    """Integer fen / thousandths as decimal text: "472.50", or trimmed "4.57", "1"."""
    units = pd.Series(units).astype(np.int64)
    text = (units // 10**decimals).astype(str) + "." + (units % 10**decimals).astype(str).str.zfill(decimals)
    return text.str.rstrip("0").str.rstrip(".") if trim else text


def eligible_people(register: DemoRegister, item: Item, *, township: str, period_end: date) -> pd.Index:
    """Living persons of the township who meet every eligibility rule of the item at the end of the period."""
    persons, attributes = register.persons, register.attributes
    ok = persons["deceased_on"].isna() & persons["village_id"].str.startswith(township[:9])
    for rule in item.eligibility:
        if rule["rule"] == "age":
            age = _age_on(persons["birth_date"], period_end)
            ok &= (age >= rule.get("min", 0)) & (age <= rule.get("max", 200))
        elif rule["rule"] == "region":
            ok &= persons["village_id"].str.startswith(tuple(rule["codes"]))
        else:
            value = attributes[rule["name"]] if rule["name"] in attributes else pd.Series(None, index=persons.index)
            allowed = rule.get("values")
            ok &= value.astype(str).isin(allowed) if allowed else value.notna() & value.fillna(False).astype(bool)
    return persons.index[ok.to_numpy()]


def roster_frame(register: DemoRegister, plan: RosterPlan, item: Item, *, township: str,
                 period_end: date) -> pd.DataFrame:
    """The roster's rows with the Chinese headers; amount = round_half_up(quantity × rate) to the fen."""
    people = eligible_people(register, item, township=township, period_end=period_end)
    lines = (plan.select or _per_person)(register, people, item)
    if lines.empty:
        return pd.DataFrame(columns=list(ROSTER_COLUMNS))
    if (lines["rate_fen"] <= 0).any():
        raise ValueError(f"demo plan for {item.code} gives no rate for some rows")
    lines = lines.sort_values("person")
    persons = register.persons.loc[lines["person"]]
    if item.standard_fen is not None:
        # Fixed-amount items pay the standard in force for the township at the period's end (a county's own, a
        # changed one), as the import checks it.
        applying = standards_for_rows(item, township, period_end, pd.Series(persons["birth_date"].to_numpy()))
        if applying.standards and not applying.choices:
            resolved = applying.expected.to_numpy()
            lines = lines.assign(rate_fen=np.where(pd.isna(resolved), lines["rate_fen"], resolved).astype(np.int64))
    cards = register.cards[register.cards["status"] == CardStatus.ACTIVE].set_index("person")
    quantity, rate = lines["quantity_milli"].astype(np.int64), lines["rate_fen"].astype(np.int64)
    amount = (quantity * rate + 500) // 1000
    return pd.DataFrame(dict(zip(ROSTER_COLUMNS, [
        persons["name"].to_numpy(),
        persons["id_number"].to_numpy(),
        cards.loc[lines["person"], "number"].to_numpy(),
        cards.loc[lines["person"], "bank"].to_numpy(),
        persons["village_id"].to_numpy(),
        persons["group"].to_numpy(),
        _decimal_text(quantity, 3, trim=True).to_numpy(),
        _decimal_text(rate, 2).to_numpy(),
        _decimal_text(amount, 2).to_numpy(),
        persons["phone"].to_numpy(),
        lines["remark"].to_numpy(),
    ], strict=True)))


def roster_file_write(frame: pd.DataFrame, path: Path, file_format: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if file_format == "xlsx":
        path = path.with_suffix(".xlsx")
        book = Workbook(write_only=True)
        sheet = book.create_sheet("发放清册")
        sheet.append(list(frame.columns))
        numeric = {"数量", "标准", "金额"}
        # ID, card and phone numbers stay text (as a careful clerk formats them); figures are numbers.
        for row in frame.itertuples(index=False):
            sheet.append([Decimal(value) if column in numeric else value
                          for column, value in zip(frame.columns, row, strict=True)])
        book.save(path)
    else:
        path = path.with_suffix(".csv")
        frame.to_csv(path, index=False, encoding="gbk" if file_format == "csv-gbk" else "utf-8-sig")
    return path


def rosters_import(register: DemoRegister, *, townships: list[str], out_dir: Path) -> list[RosterOutcome]:
    """Write and import one roster per plan and township that has eligible people, through the real path."""
    items = {item.code: item for item in Item.objects.filter(code__in=[p.item for p in ROSTER_PLANS])}
    names = dict(Region.objects.filter(code__in=townships).values_list("code", "name"))
    outcomes = []
    for plan in ROSTER_PLANS:
        item = items[plan.item]
        period = PERIODS[item.frequency]
        period_end = period_bounds(period, item.frequency)[1]
        for township in townships:
            frame = roster_frame(register, plan, item, township=township, period_end=period_end)
            if frame.empty:
                continue
            total = int((frame["金额"].map(Decimal) * 100).sum())
            outcome = RosterOutcome(item=item.code, item_name=item.name, township=township,
                                    township_name=names[township], period=period, rows=len(frame), total_fen=total,
                                    status="skipped")
            outcomes.append(outcome)
            # Imported before when its people are already paid for this item and period; the first rows tell.
            first = pii.blind_index_many(frame["身份证号"].head(50).tolist())
            if RosterLine.objects.filter(item=item, period=period, person__id_hash__in=first).exists():
                outcome.message = _("already on a roster of this item and period")
                continue
            path = roster_file_write(frame, out_dir / f"{period}_{item.code}_{township}", plan.file_format)
            outcome.file = path
            job = roster_import_submit(actor=None, content=path.read_bytes(), file_name=path.name,
                                       item_code=item.code, township_code=township, period=period, enqueue=False)
            job = import_job_execute(job_id=job.pk)
            outcome.status = job.status
            outcome.message = job.message
            outcome.errors = list(job.errors)
            if job.status == ImportStatus.ACCEPTED:
                outcome.total_fen = job.roster.total_fen
    return outcomes


# ------------------------------------------------------------------------------------------ the service


def demo_data_generate(*, counties=DEFAULT_COUNTIES, households: int, seed: int, rosters: bool = True,
                       roster_dir: Path, registers_dir: Path | None = None) -> DemoResult:
    """Build the register for the counties and seed; write it unless it is there already; import the rosters;
    write the side-register files (with their planted anomalies) into `registers_dir` when given."""
    if households < 1:
        raise ValidationFailed(_("Give at least one household."), field="households")
    villages = demo_villages(counties)
    register = register_build(villages=villages, households=households, seed=seed)
    created = not register_exists(register)
    if created:
        register_write(register, seed=seed)
    outcomes = rosters_import(register, townships=roster_townships(villages), out_dir=roster_dir) if rosters else []
    result = DemoResult(created=created, counts=register.counts(), rosters=outcomes)
    if registers_dir is not None:
        from disbursement.registry.demo_registers import side_registers_build, side_registers_write

        frames, result.planted = side_registers_build(register, villages, seed=seed)
        result.register_files = side_registers_write(frames, registers_dir)
    return result
