"""Column validators: every error code with concrete values, and bulk == reference on generated columns."""

import csv
from datetime import date

import numpy as np
import pandas as pd
import pytest

from disbursement.registry import validators
from disbursement.registry.validators import (
    ERROR_MESSAGES,
    card_number_reference,
    card_numbers,
    formula_cells,
    id_number_reference,
    id_numbers,
    money,
    money_reference,
    neutralise_formula,
)

TODAY = date(2025, 6, 30)
ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_check(body17: str) -> str:
    """GB 11643 check character, written out independently of the module under test."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(body17, ID_WEIGHTS, strict=True)) % 11]


def make_id(region: str = "430321", born: str = "19800101", sequence: str = "001") -> str:
    body = region + born + sequence
    return body + id_check(body)


def luhn_check(body: str) -> str:
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char) * (2 if position % 2 == 0 else 1)
        total += digit - 9 if digit > 9 else digit
    return str((10 - total % 10) % 10)


def make_card(body: str) -> str:
    return body + luhn_check(body)


def ids(*values, index=None):
    return id_numbers(pd.Series(values, index=index, dtype=object), today=TODAY)


def id_errors(*values):
    return ids(*values)["error"].tolist()


# ------------------------------------------------------------------------------------------- ID numbers


def test_a_valid_id_gives_value_birth_date_and_sex():
    male, female = make_id(sequence="001"), make_id(sequence="002")
    result = ids(male, female)
    assert result["error"].tolist() == ["", ""]
    assert result["value"].tolist() == [male, female]
    assert result["birth_date"].tolist() == [pd.Timestamp("1980-01-01")] * 2
    assert result["birth_date"].dtype == "datetime64[ns]"
    assert result["sex"].tolist() == ["M", "F"]
    assert result["from_15"].tolist() == [False, False]
    assert id_number_reference(male, today=TODAY) == (male, "")


def test_a_check_character_x_is_accepted_in_lowercase_and_returned_uppercase():
    with_x = next(make_id(sequence=f"{s:03d}") for s in range(1000) if make_id(sequence=f"{s:03d}").endswith("X"))
    result = ids(with_x.lower(), with_x)
    assert result["value"].tolist() == [with_x, with_x]
    assert result["error"].tolist() == ["", ""]
    assert id_number_reference(with_x.lower(), today=TODAY) == (with_x, "")


def test_full_width_digits_and_every_kind_of_space_are_normalised():
    valid = make_id()
    full_width = valid.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    spaced = f"\u3000{valid[:6]} {valid[6:14]}\xa0{valid[14:]}\t\n"
    result = ids(full_width, spaced)
    assert result["value"].tolist() == [valid, valid]
    assert id_number_reference(full_width, today=TODAY) == (valid, "")
    assert id_number_reference(spaced, today=TODAY) == (valid, "")


def test_a_15_digit_id_is_converted_to_18_digits():
    result = ids("430321800101001")
    assert result["value"].tolist() == [make_id("430321", "19800101", "001")]
    assert result["from_15"].tolist() == [True]
    assert result["birth_date"].tolist() == [pd.Timestamp("1980-01-01")]
    assert id_number_reference("430321800101001", today=TODAY) == (make_id(), "")


def test_empty_cells_are_required():
    assert id_errors("", None, np.nan, pd.NA, "   ", "\u3000") == ["required"] * 6
    assert id_number_reference(None) == ("", "required")


def test_numbers_damaged_by_excel_are_excel_number():
    damaged = make_id(sequence="100")[:15] + "000"
    assert id_check(damaged[:17]) != damaged[17]  # the 000 ending really is wrong
    values = ("4.30321E+17", "4.303211980010111e+17", "43032119800101002.0", "430321198001010011.0", damaged)
    assert id_errors(*values) == ["excel_number"] * 5
    assert [id_number_reference(v)[1] for v in values] == ["excel_number"] * 5


def test_an_id_ending_000_with_a_correct_check_digit_is_valid():
    candidates = (make_id(born=f"1980{m:02d}{d:02d}", sequence="100") for m in range(1, 13) for d in range(1, 29))
    genuine = next(c for c in candidates if c.endswith("000"))
    assert ids(genuine)["error"].tolist() == [""]


def test_wrong_shapes_are_bad_format():
    values = ("43032119800101001", "4303211980010100111", "4303211980010100A1", "43032119800101001Y", "abc", "4303")
    assert id_errors(*values) == ["bad_format"] * 6
    assert [id_number_reference(v)[1] for v in values] == ["bad_format"] * 6


@pytest.mark.parametrize(
    "born", ["19800230", "19810229", "19801301", "19800001", "19800100", "18991231", "20250701", "20990101"]
)
def test_impossible_future_or_pre_1900_birth_dates_are_bad_birth_date(born):
    value = make_id(born=born)
    assert id_errors(value) == ["bad_birth_date"]
    assert id_number_reference(value, today=TODAY) == ("", "bad_birth_date")


@pytest.mark.parametrize("born", ["20000229", "19000101", "20250630"])
def test_leap_days_1900_and_today_are_real_birth_dates(born):
    assert id_errors(make_id(born=born)) == [""]


def test_a_future_birth_date_is_judged_against_today():
    value = make_id(born="20250701")
    assert id_numbers(pd.Series([value]), today=date(2025, 7, 1))["error"].tolist() == [""]
    assert id_numbers(pd.Series([value]), today=date(2025, 6, 30))["error"].tolist() == ["bad_birth_date"]


def test_an_unknown_region_code_is_unknown_region():
    assert id_errors(make_id(region="999999"), make_id(region="439999")) == ["unknown_region"] * 2
    assert id_number_reference(make_id(region="999999"), today=TODAY) == ("", "unknown_region")


def test_historical_region_codes_are_known_whatever_the_birth_year():
    # 110103 崇文区 was abolished in 2010; 110111 房山区 was created in 1986: people keep the code they were
    # registered under, so neither the abolition nor a birth before the creation makes the number invalid.
    values = (make_id("110103", "19800101"), make_id("110103", "20150101"), make_id("110111", "19500101"))
    assert id_errors(*values) == ["", "", ""]
    assert [id_number_reference(v, today=TODAY)[1] for v in values] == ["", "", ""]


def test_a_mistyped_or_swapped_digit_is_bad_checksum():
    valid = make_id(sequence="003")
    wrong_check = valid[:17] + ("1" if valid[17] != "1" else "2")
    swapped = valid[:15] + valid[16] + valid[15] + valid[17:]
    assert valid[15] != valid[16]
    assert id_errors(wrong_check, swapped) == ["bad_checksum"] * 2
    assert id_number_reference(wrong_check, today=TODAY) == ("", "bad_checksum")


def test_the_first_failing_check_wins():
    assert id_errors(make_id(region="999999", born="19800230")) == ["bad_birth_date"]
    assert id_errors(make_id(region="999999")[:17] + "0") == ["unknown_region"]


def test_invalid_rows_have_blank_derived_columns_and_the_index_is_kept():
    result = ids(make_id(), "bad", make_id(), index=["x", "y", "x"])
    assert result.index.tolist() == ["x", "y", "x"]
    assert result["value"].tolist() == [make_id(), "", make_id()]
    assert result["sex"].tolist() == ["M", "", "M"]
    assert pd.isna(result["birth_date"].iloc[1])
    assert result["from_15"].tolist() == [False, False, False]


# -------------------------------------------------------------------------------------------- card numbers


ABC_CARD = make_card("622848040256489001")  # 19 digits, 中国农业银行
CMB_CARD = make_card("622588012345678")  # 16 digits, 招商银行


def cards(*values):
    return card_numbers(pd.Series(values, dtype=object))


def test_a_valid_card_gives_its_value_and_bank():
    result = cards(ABC_CARD, CMB_CARD, make_card("999999123456789012"))
    assert result["error"].tolist() == ["", "", ""]
    assert result["value"].tolist() == [ABC_CARD, CMB_CARD, make_card("999999123456789012")]
    assert result["bank"].tolist() == ["中国农业银行", "招商银行", ""]
    assert card_number_reference(ABC_CARD) == (ABC_CARD, "")


def test_spaces_hyphens_and_full_width_digits_are_normalised():
    grouped = " ".join(ABC_CARD[i : i + 4] for i in range(0, 19, 4))
    hyphened = "-".join(ABC_CARD[i : i + 4] for i in range(0, 19, 4))
    full_width = ABC_CARD.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})
    assert cards(grouped, hyphened, full_width)["value"].tolist() == [ABC_CARD] * 3
    assert card_number_reference(full_width) == (ABC_CARD, "")


def test_card_errors():
    damaged = next(c for c in (f"62284804025648{k:02d}000" for k in range(100)) if luhn_check(c[:-1]) != "0")
    values = {
        "required": ["", None, "  "],
        "excel_number": ["6.22848E+18", "6228480402564890000.0", "6228480402564890018.0", damaged],
        "bad_format": ["6228abc", "6228 4804 0256 4890 01X", "6228.48"],
        "bad_length": ["622848040256489", "62284804025648900181", "1"],
        "bad_luhn": [
            ABC_CARD[:-1] + str((int(ABC_CARD[-1]) + 1) % 10),
            ABC_CARD[:5] + ABC_CARD[6] + ABC_CARD[5] + ABC_CARD[7:],
        ],
    }
    assert ABC_CARD[5] != ABC_CARD[6]
    for code, examples in values.items():
        assert cards(*examples)["error"].tolist() == [code] * len(examples), code
        assert [card_number_reference(v)[1] for v in examples] == [code] * len(examples), code
    assert cards(damaged)["bank"].tolist() == [""]


def test_a_card_ending_000_that_passes_luhn_is_valid():
    body = next(f"62284804025648{n:02d}00" for n in range(100) if luhn_check(f"62284804025648{n:02d}00") == "0")
    assert cards(body + "0")["error"].tolist() == [""]


def test_the_longest_matching_bin_wins(tmp_path, monkeypatch):
    table = tmp_path / "bins.csv"
    table.write_text("bin,bank\n622848,中国农业银行\n62284804,某测试银行\n6228,短前缀银行\n", encoding="utf-8")
    monkeypatch.setattr(validators, "_CARD_BINS_FILE", table)
    validators._card_bins.cache_clear()
    try:
        result = cards(ABC_CARD, make_card("622848990000000001"), make_card("622899000000000001"))
        assert result["bank"].tolist() == ["某测试银行", "中国农业银行", "短前缀银行"]
    finally:
        validators._card_bins.cache_clear()


def test_the_bin_table_has_unique_six_digit_bins_and_the_main_banks():
    with validators._CARD_BINS_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    bins = [row["bin"] for row in rows]
    assert len(bins) == len(set(bins))
    assert all(len(b) == 6 and b.isdigit() and row["bank"] for b, row in zip(bins, rows, strict=True))
    known = {row["bin"]: row["bank"] for row in rows}
    assert known["622848"] == "中国农业银行" and known["622202"] == "中国工商银行"
    assert known["621700"] == "中国建设银行" and known["622262"] == "交通银行"
    assert known["622188"] == known["621799"] == "中国邮政储蓄银行"
    assert known["622588"] == "招商银行" and known["621661"] == "中国银行"


# ----------------------------------------------------------------------------------------------- money


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("105", 10500),
        ("105.5", 10550),
        ("105.50", 10550),
        ("1,234.56", 123456),
        ("12,345,678.9", 1234567890),
        ("１０５．５", 10550),
        (" ￥12.30 ", 1230),
        ("¥ 7", 700),
        ("+3", 300),
        ("1.230", 123),
        (".5", 50),
        ("5.", 500),
        ("0.29", 29),  # 0.29 * 100 is 28.999999999999996 in floating point
        ("10000000000", 10**12),
    ],
)
def test_amounts_are_parsed_to_exact_fen(text, fen):
    result = money(pd.Series([text]))
    assert result["value"].tolist() == [fen] and result["error"].tolist() == [""]
    assert result["value"].dtype == np.int64
    assert money_reference(text) == (fen, "")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "required"),
        (None, "required"),
        ("  ", "required"),
        ("abc", "not_a_number"),
        ("1,23", "not_a_number"),
        ("1e3", "not_a_number"),
        ("NaN", "not_a_number"),
        ("12元", "not_a_number"),
        ("1.2.3", "not_a_number"),
        ("¥", "not_a_number"),
        ("--1", "not_a_number"),
        ("1.234", "too_many_decimals"),
        ("-1.234", "too_many_decimals"),
        ("0", "not_positive"),
        ("0.00", "not_positive"),
        ("-1", "not_positive"),
        ("￥-5", "not_positive"),
        ("10000000000.01", "too_large"),
        ("99999999999999999999999", "too_large"),
    ],
)
def test_amount_errors(text, code):
    result = money(pd.Series([text], dtype=object))
    assert result["error"].tolist() == [code] and result["value"].tolist() == [0]
    assert money_reference(text) == (0, code)


def test_quantities_take_three_decimals():
    result = money(pd.Series(["1.234", "1.2345", "2"]), decimals=3)
    assert result["value"].tolist() == [1234, 0, 2000]
    assert result["error"].tolist() == ["", "too_many_decimals", ""]
    assert money_reference("1.234", decimals=3) == (1234, "")


def test_money_keeps_the_index():
    result = money(pd.Series(["1", "x"], index=[10, 10]))
    assert result.index.tolist() == [10, 10] and result["value"].tolist() == [100, 0]


# ---------------------------------------------------------------------------------------- formula cells


def test_formula_like_cells_are_found_and_neutralised():
    cells = pd.Series(["=1+1", "+1", "-1", "@SUM(A1)", " =x", "\u3000=x", "\tabc", "\rabc", "a=b", "张三", "", None])
    expected = [True] * 8 + [False] * 4
    assert formula_cells(cells).tolist() == expected
    neutral = neutralise_formula(cells)
    assert neutral.tolist()[:3] == ["'=1+1", "'+1", "'-1"]
    assert neutral.tolist()[8:] == ["a=b", "张三", "", ""]


def test_formula_functions_keep_the_index():
    cells = pd.Series(["=x", "y"], index=[7, 7])
    assert formula_cells(cells).index.tolist() == [7, 7]
    assert neutralise_formula(cells).tolist() == ["'=x", "y"]


def test_an_empty_column_gives_an_empty_frame_with_the_columns():
    empty = pd.Series([], dtype=object)
    assert id_numbers(empty).columns.tolist() == ["value", "error", "birth_date", "sex", "from_15"]
    assert card_numbers(empty).columns.tolist() == ["value", "error", "bank"]
    assert money(empty).columns.tolist() == ["value", "error"] and len(money(empty)) == 0


# --------------------------------------------------------------------------------------------- messages


def test_every_error_code_has_a_message():
    expected = (
        {f"id.{code}" for code in validators.ID_ERRORS}
        | {f"card.{code}" for code in validators.CARD_ERRORS}
        | {f"money.{code}" for code in validators.MONEY_ERRORS}
        | {f"name.{code}" for code in validators.NAME_ERRORS}
        | {f"date.{code}" for code in validators.DATE_ERRORS}
    )
    assert set(ERROR_MESSAGES) == expected
    assert all(len(str(message)) > 20 for message in ERROR_MESSAGES.values())


# ----------------------------------------------------------------------------- bulk == reference, generated


# How often each kind of raw cell appears in the generated columns.
ID_MUTATIONS = {
    "valid": 0.40, "wrong_check": 0.06, "swap": 0.06, "old15": 0.08, "lower_x": 0.04, "spaces": 0.05,
    "full_width": 0.04, "excel_e": 0.03, "excel_float": 0.03, "dot0": 0.03, "zero3": 0.05, "truncate": 0.04,
    "extend": 0.03, "letter": 0.03, "empty": 0.03,
}  # fmt: skip
CARD_MUTATIONS = {
    "valid": 0.40, "wrong_check": 0.08, "swap": 0.06, "grouped": 0.08, "full_width": 0.04, "excel_e": 0.05,
    "dot0": 0.05, "zero3": 0.08, "length": 0.08, "letter": 0.04, "empty": 0.04,
}  # fmt: skip


def _id_bodies(rng: np.random.Generator, n: int) -> list[str]:
    """17-character bodies: mostly known regions and real dates, some unknown regions and impossible dates."""
    known = np.flatnonzero(validators._known_regions())
    region = np.where(rng.random(n) < 0.95, rng.choice(known, n), rng.integers(0, 1_000_000, n))
    born = np.datetime64("1895-01-01") + rng.integers(0, 131 * 365, n).astype("m8[D]")
    ymd = pd.DatetimeIndex(born).strftime("%Y%m%d").to_numpy(dtype=object)
    impossible = rng.random(n) < 0.03
    ymd[impossible] = rng.choice(["19800230", "19810229", "19801301", "19800000", "20001131"], impossible.sum())
    sequence = rng.integers(0, 1000, n)
    return [f"{r:06d}{d}{s:03d}" for r, d, s in zip(region, ymd, sequence, strict=True)]


def generate_mixed_ids(n: int, seed: int) -> list[str | None]:
    """n raw ID cells: valid numbers and the ways clerks and Excel damage them, reproducible from seed."""
    rng = np.random.default_rng(seed)
    bodies = _id_bodies(rng, n)
    kinds = rng.choice(list(ID_MUTATIONS), n, p=list(ID_MUTATIONS.values()))
    spaces = [" ", "\u3000", "\xa0", "\t", "\u2007", "\ufeff"]
    values: list[str | None] = []
    for body, kind, pick, position in zip(
        bodies, kinds, rng.integers(0, 1 << 30, n), rng.integers(0, 17, n), strict=True
    ):
        full = body + id_check(body)
        if kind == "valid":
            value = full
        elif kind == "wrong_check":
            value = body + "0123456789X"[(("0123456789X".index(full[17])) + 1 + pick % 10) % 11]
        elif kind == "swap":
            value = full[:position] + full[position + 1] + full[position] + full[position + 2 :]
        elif kind == "old15":
            value = body[:6] + body[8:17]
        elif kind == "lower_x":
            value = full.lower() if full.endswith("X") else body + "x"
        elif kind == "spaces":
            space = spaces[pick % len(spaces)]
            value = space + full[:6] + space + full[6:14] + space + full[14:] + space
        elif kind == "full_width":
            value = full.translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)}).replace("X", "Ｘ" if pick % 2 else "ｘ")
        elif kind == "excel_e":
            value = f"{float(full[:17] + '0'):.5E}" if pick % 2 else f"{float(full[:17] + '0'):.14e}"
        elif kind == "excel_float":
            value = repr(float(full[:17] + "0"))
        elif kind == "dot0":
            value = (full if pick % 2 else full[:17]) + ".0"
        elif kind == "zero3":
            value = full[:15] + "000"
        elif kind == "truncate":
            value = full[: 10 + pick % 8]
        elif kind == "extend":
            value = full + str(pick % 10)
        elif kind == "letter":
            value = full[:position] + "ABO"[pick % 3] + full[position + 1 :]
        else:
            value = [None, "", "  "][pick % 3]
        values.append(value)
    return values


def generate_mixed_cards(n: int, seed: int) -> list[str | None]:
    """n raw card cells: valid and broken Luhn, lengths 14-21, Excel forms, separators, junk."""
    rng = np.random.default_rng(seed)
    with validators._CARD_BINS_FILE.open(encoding="utf-8", newline="") as handle:
        bins = [row["bin"] for row in csv.DictReader(handle)]
    kinds = rng.choice(list(CARD_MUTATIONS), n, p=list(CARD_MUTATIONS.values()))
    values: list[str | None] = []
    lengths = rng.integers(16, 20, n)
    for kind, length, pick, rest in zip(
        kinds, lengths, rng.integers(0, 1 << 30, n), rng.integers(10**12, 10**13, n), strict=True
    ):
        prefix = bins[pick % len(bins)] if pick % 4 else f"{pick % 1_000_000:06d}"
        body = (prefix + f"{rest:013d}")[: length - 1]
        full = make_card(body)
        if kind == "valid":
            value = full
        elif kind == "wrong_check":
            value = body + str((int(full[-1]) + 1 + pick % 9) % 10)
        elif kind == "swap":
            at = pick % (length - 1)
            value = full[:at] + full[at + 1] + full[at] + full[at + 2 :]
        elif kind == "grouped":
            separator = [" ", "-", "\u3000", "－"][pick % 4]
            value = separator.join(full[i : i + 4] for i in range(0, length, 4))
        elif kind == "full_width":
            value = full.translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)})
        elif kind == "excel_e":
            value = f"{float(full):.5E}" if pick % 2 else repr(float(full))
        elif kind == "dot0":
            value = full + ".0"
        elif kind == "zero3":
            value = full[:-3] + "000"
        elif kind == "length":
            value = make_card(body[: 13 + pick % 2]) if pick % 2 else make_card(body + f"{pick % 100:02d}")
        elif kind == "letter":
            at = pick % length
            value = full[:at] + "OIl"[pick % 3] + full[at + 1 :]
        else:
            value = [None, "", " - "][pick % 3]
        values.append(value)
    return values


def _first_mismatches(values, bulk_value, bulk_error, reference):
    return [
        (raw, (bv, be), ref)
        for raw, bv, be, ref in zip(values, bulk_value, bulk_error, reference, strict=True)
        if (bv, be) != ref
    ][:10]


def test_bulk_and_reference_agree_on_a_million_generated_ids():
    values = generate_mixed_ids(1_000_000, seed=20251)
    bulk = id_numbers(pd.Series(values, dtype=object), today=TODAY)
    reference = [id_number_reference(value, today=TODAY) for value in values]
    assert not _first_mismatches(values, bulk["value"], bulk["error"], reference)
    assert set(bulk["error"]) == {"", *validators.ID_ERRORS}
    valid = bulk[bulk["error"] == ""]
    assert valid["birth_date"].equals(pd.to_datetime(valid["value"].str[6:14], format="%Y%m%d").astype("M8[ns]"))
    assert (valid["sex"] == np.where(valid["value"].str[16].astype(int) % 2 == 1, "M", "F")).all()
    assert valid["from_15"].any() and not valid["from_15"].all()


def test_bulk_and_reference_agree_on_a_million_generated_cards():
    values = generate_mixed_cards(1_000_000, seed=20252)
    bulk = card_numbers(pd.Series(values, dtype=object))
    reference = [card_number_reference(value) for value in values]
    assert not _first_mismatches(values, bulk["value"], bulk["error"], reference)
    assert set(bulk["error"]) == {"", *validators.CARD_ERRORS}
    assert (bulk["bank"] != "").sum() > 250_000


def test_bulk_and_reference_agree_on_generated_amounts():
    rng = np.random.default_rng(20253)
    n = 50_000
    whole = rng.integers(0, 10**13, n) // (10 ** rng.integers(0, 13, n))
    widths = rng.integers(0, 5, n)
    fraction = [f"{f:0{w}d}" if w else "" for f, w in zip(rng.integers(0, 10**5, n), widths, strict=True)]
    decorations = ["{}", "{}", "¥{}", "￥ {}", " {} ", "-{}", "+{}", "{}元", "{},", "0{}", "{}e2", "１{}"]
    values = []
    for w, f, d, dot in zip(whole, fraction, rng.integers(0, len(decorations), n), rng.random(n), strict=True):
        number = f"{w:,}" if dot < 0.2 else str(w)
        number = number + "." + f if dot < 0.7 else (number if dot < 0.95 else "." + f)
        values.append(decorations[d].format(number))
    values += ["", None, "abc", "1,2345", "1.2.3", ".", "¥", "0.000", "-0"]
    for decimals in (2, 3):
        bulk = money(pd.Series(values, dtype=object), decimals=decimals)
        reference = [money_reference(value, decimals=decimals) for value in values]
        assert not _first_mismatches(values, bulk["value"], bulk["error"], reference)
        assert set(bulk["error"]) == {"", *validators.MONEY_ERRORS}
