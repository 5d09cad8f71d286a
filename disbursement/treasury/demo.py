"""Made-up daily treasury statements for the demo, the tests and the benchmark (never production data).

Each treasury gets a daily outflow with a December peak and quiet weekends, 三保 wages paid as a lump mid-month,
subsidies on working days, tax every working day with a mid-month filing peak, transfers from above arriving
in quarterly lumps (and one before the year end), bond money twice a year. What keeps the balance near the
region's planned level is an "other" inflow or outflow each day that closes part of the distance to it; over
the last weeks it closes most of it, so a county planned to end in 预警 (warning) ends there. The planned level
of every treasury dips in December (year-end spending).
"""

import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

# The demo's 湘潭市: one county ends red, another green, a third yellow, so its supervisor sees every colour.
PLANTED = {"430321000000": "warning", "430382000000": "idle", "430381000000": "low", "430302000000": "normal"}
END_LEVEL = {"warning": 0.15, "low": 0.4, "normal": 0.65, "idle": 1.4}
PROFILE_ODDS = {"warning": 0.07, "low": 0.12, "normal": 0.69, "idle": 0.12}
_RAMP_DAYS = 150
_SETTLE_DAYS = 45
HEADER = ["区划代码", "日期", "期初库款余额", "本期库款流入", "本期库款流出", "期末库款余额", "上级转移支付流入",
          "税收收入流入", "债券资金流入", "其他流入", "三保工资流出", "补贴发放流出", "其他流出"]


def profile_of(codes: list[str], seed: int) -> dict[str, str]:
    """The band each treasury is steered to at the end: planted ones as planted, the province and cities
    normal, other counties drawn by PROFILE_ODDS."""
    rng = np.random.default_rng(seed + 1)
    drawn = rng.choice(list(PROFILE_ODDS), size=len(codes), p=list(PROFILE_ODDS.values()))
    profiles = {}
    for code, profile in zip(codes, drawn, strict=True):
        if code in PLANTED:
            profiles[code] = PLANTED[code]
        elif code.endswith("00000000"):
            profiles[code] = "normal"
        else:
            profiles[code] = str(profile)
    return profiles


def statements_demo(codes: list[str], *, end: datetime.date, years: int, seed: int,
                    profiles: dict[str, str] | None = None) -> pd.DataFrame:
    """Daily statements of `codes` for `years` years ending on `end`, in fen: one row per treasury and day with
    region_id, day (date), opening, inflow, outflow, closing and the seven breakdown parts. `profiles` (the band
    each treasury ends in) defaults to profile_of(codes, seed)."""
    rng = np.random.default_rng(seed)
    start = end.replace(year=end.year - years) + datetime.timedelta(days=1)
    days = pd.date_range(start, end, freq="D")
    n_days, n_regions = len(days), len(codes)
    scale = np.array([25.0 if c.endswith("0" * 10) else 4.0 if c.endswith("0" * 8) else 1.0 for c in codes])
    base = rng.uniform(6e8, 1.8e9, n_regions) * scale  # fen of ordinary outflow on a working day

    month = days.month.to_numpy()
    dom = days.day.to_numpy()
    working = np.asarray(days.day_of_week < 5)
    season = np.select([month == 12, month == 11, month == 1], [1.9, 1.1, 0.8], 1.0)
    season = np.where((month == 12) & (dom >= 24), 2.6, season)

    def noise(sigma):
        return rng.lognormal(0.0, sigma, (n_days, n_regions))

    def lump(mask, size):
        return np.outer(mask, base * size)

    day_factor = np.where(working, 1.0, 0.25)[:, None]
    other_out = base * season[:, None] * day_factor * noise(0.25)
    subsidy = base * 0.08 * working[:, None] * noise(0.3)
    wages = lump(dom == 15, 30 * 0.3) * noise(0.05)
    tax = base * 0.45 * working[:, None] * noise(0.3) + lump(dom == 16, 2.5) * noise(0.2)
    quarter_start = np.isin(month, (1, 4, 7, 10)) & (dom == 5)
    transfer = lump(quarter_start, 30 * 0.6) * noise(0.1) + lump((month == 12) & (dom == 18), 30 * 0.5)
    bond = lump(np.isin(month, (3, 9)) & (dom == 25), 30 * 0.3)
    as_fen = [np.rint(part).astype(np.int64) for part in (other_out, subsidy, wages, tax, transfer, bond)]
    other_out, subsidy, wages, tax, transfer, bond = as_fen

    scheduled_out = other_out + subsidy + wages
    # Monthly equalisation transfers (on the 5th) cover what tax, quarterly transfers and bonds leave short.
    fifth = dom == 5
    short = np.maximum(scheduled_out.sum(axis=0) - (tax + transfer + bond).sum(axis=0), 0)
    transfer = transfer + np.rint(np.outer(fifth, short / max(int(fifth.sum()), 1))).astype(np.int64)
    scheduled_in = tax + transfer + bond
    # The planned balance: the planned level times the trailing year's monthly outflow (as the level is measured).
    running = np.vstack([np.zeros((1, n_regions), dtype=np.int64), np.cumsum(scheduled_out, axis=0)])
    back = np.maximum(np.arange(n_days) - 364, 0)
    monthly = (running[1:] - running[back]) / (np.arange(n_days) - back + 1)[:, None] * 30
    profiles = profiles or profile_of(codes, seed)
    end_level = np.array([END_LEVEL[profiles[c]] for c in codes])
    toward_end = np.clip((np.arange(n_days) - (n_days - _RAMP_DAYS)) / (_RAMP_DAYS - _SETTLE_DAYS), 0, 1)[:, None]
    planned = 0.65 + (end_level - 0.65) * toward_end
    planned = planned * np.where((month == 12) & (toward_end[:, 0] < 1), 0.8, 1.0)[:, None]
    # With a gentle pull the balance settles about a quarter below the plan (outflow runs daily, inflow in
    # lumps); aim higher until the last weeks, when the pull is strong (easing off, so the change of aim is
    # not one large outflow).
    settling = np.arange(n_days) >= n_days - _SETTLE_DAYS
    target = planned * (1.35 - 0.35 * toward_end) * monthly

    opening = np.zeros((n_days, n_regions), dtype=np.int64)
    closing = np.zeros((n_days, n_regions), dtype=np.int64)
    other_in = np.zeros((n_days, n_regions), dtype=np.int64)
    extra_out = np.zeros((n_days, n_regions), dtype=np.int64)
    balance = np.rint(target[0]).astype(np.int64)
    paid = np.zeros((n_days + 1, n_regions), dtype=np.int64)  # running total of the actual outflow
    for t in range(n_days):
        pull = 0.9 if settling[t] else 0.1
        projected = balance + scheduled_in[t] - scheduled_out[t]
        if settling[t]:
            # Aim at the level as it is measured: the actual outflow of the trailing year, steering included.
            first = max(t - 364, 0)
            measured = (paid[t] - paid[first] + scheduled_out[t]) / (t - first + 1) * 30
            target[t] = planned[t] * measured
        adjust = np.maximum(np.rint(pull * (target[t] - projected)).astype(np.int64), -projected)
        opening[t] = balance
        other_in[t] = np.maximum(adjust, 0)
        extra_out[t] = np.maximum(-adjust, 0)
        balance = projected + adjust
        closing[t] = balance
        paid[t + 1] = paid[t] + scheduled_out[t] + extra_out[t]

    other_out = other_out + extra_out
    inflow = tax + transfer + bond + other_in
    outflow = wages + subsidy + other_out
    flat = {
        "region_id": np.tile(np.array(codes, dtype=object), n_days),
        "day": np.repeat(days.date, n_regions),
        "opening": opening.ravel(), "inflow": inflow.ravel(), "outflow": outflow.ravel(), "closing": closing.ravel(),
        "inflow_transfer": transfer.ravel(), "inflow_tax": tax.ravel(), "inflow_bond": bond.ravel(),
        "inflow_other": other_in.ravel(), "outflow_wages": wages.ravel(), "outflow_subsidy": subsidy.ravel(),
        "outflow_other": other_out.ravel(),
    }
    return pd.DataFrame(flat).sort_values(["region_id", "day"], kind="stable").reset_index(drop=True)


def _yuan_column(fen: pd.Series) -> pa.Array:
    """Fen as yuan text with two decimals (what money.fen_to_yuan writes for one), whole columns at a time."""
    values = fen.to_numpy(dtype=np.int64)
    whole = pd.Series(values // 100).astype(str)
    cents = pd.Series(values % 100).astype(str).str.zfill(2)
    return pa.array((whole + "." + cents).to_numpy(dtype=object), type=pa.string())


def statements_csv(frame: pd.DataFrame) -> bytes:
    """The statements as the treasury system's CSV export (Chinese headers, yuan with two decimals)."""
    columns = [pa.array(frame["region_id"].astype(str).to_numpy(dtype=object), type=pa.string()),
               pa.array(pd.to_datetime(frame["day"]).dt.strftime("%Y-%m-%d").to_numpy(dtype=object),
                        type=pa.string())]
    names = ["opening", "inflow", "outflow", "closing", "inflow_transfer", "inflow_tax", "inflow_bond",
             "inflow_other", "outflow_wages", "outflow_subsidy", "outflow_other"]
    columns += [_yuan_column(frame[name]) for name in names]
    table = pa.Table.from_arrays(columns, names=HEADER)
    sink = pa.BufferOutputStream()
    pa_csv.write_csv(table, sink)
    return sink.getvalue().to_pybytes()

