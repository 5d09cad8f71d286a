"""Bank files (disbursement.banking): the payment and return file formats, reason codes, the bank simulator and
its command. Pure functions over bytes and DataFrames: no database."""

import io
import re
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from disbursement.banking.codes import REASON_CODES, REASONS, ReturnReason, reason_reissuable
from disbursement.banking.formats import (
    PAYMENT_COLUMNS,
    REFERENCE_PATTERN,
    RETURN_COLUMNS,
    BankFileError,
    PaymentHeader,
    ReturnHeader,
    payment_file_parse,
    payment_file_render,
    return_file_parse,
    return_file_render,
    return_matches_payment,
    return_totals,
)
from disbursement.banking.simulator import REASON_WEIGHTS, bank_simulate
from disbursement.errors import ValidationFailed

DOCS = Path(__file__).resolve().parents[2] / "docs" / "bank-files.md"
CREATED = date(2026, 11, 2)
PROCESSED = date(2026, 11, 3)
PAYMENT_ID = "PF-430321-20261102-01"
CARDS = ["6217995510000123454", "6221885510000678908", "6230585510000246809"]


def example_rows() -> pd.DataFrame:
    """The payment of docs/bank-files.md, given out of order."""
    return pd.DataFrame({
        "reference": ["P000000001203-2", "P000000001201-1", "P000000001202-1"],
        "card_number": [CARDS[2], CARDS[0], CARDS[1]],
        "name": ["欧阳·明", "张秋菊", "李建国"],
        "amount_fen": np.array([6075, 12345, 150000], dtype=np.int64),
        "item": ["0101"] * 3,
        "period": ["2026"] * 3,
    })


def example_answer() -> pd.DataFrame:
    return pd.DataFrame({
        "reference": ["P000000001201-1", "P000000001202-1", "P000000001203-2"],
        "result": ["S", "F", "S"],
        "reason": ["", "R02", ""],
        "amount_fen": np.array([12345, 150000, 6075], dtype=np.int64),
        "bank_txn": ["20261103A1B2C3D4E5F60718", "", "202611030F1E2D3C4B5A6978"],
    })


def payment_render(rows: pd.DataFrame, **overrides) -> bytes:
    arguments = {"file_id": PAYMENT_ID, "bank_code": "PSBC", "payer": "430321", "created": CREATED, "rows": rows}
    return payment_file_render(**{**arguments, **overrides})


def return_render(rows: pd.DataFrame, **overrides) -> bytes:
    arguments = {"file_id": "RF-430321-20261102-01", "payment_file_id": PAYMENT_ID, "bank_code": "PSBC",
                 "processed": PROCESSED, "rows": rows}
    return return_file_render(**{**arguments, **overrides})


def generated_rows(count: int, *, seed: int = 0) -> pd.DataFrame:
    """`count` payments built column-wise (a million rows in well under a second)."""
    rng = np.random.default_rng(seed)
    numbers = pa.array(rng.permutation(count) + 1)
    references = pc.binary_join_element_wise("P", pc.utf8_lpad(pc.cast(numbers, pa.string()), 12, "0"), "-1", "")
    tails = pc.utf8_lpad(pc.cast(pa.array(rng.integers(0, 10**13, count)), pa.string()), 13, "0")
    names = np.array(["张秋菊", "李建国", "欧阳·明", "王五", "Mary Smith"], dtype=object)
    return pd.DataFrame({
        "reference": pd.Series(references, dtype="str"),
        "card_number": pd.Series(pc.binary_join_element_wise("621799", tails, ""), dtype="str"),
        "name": pd.Series(names[rng.integers(0, len(names), count)], dtype="str"),
        "amount_fen": rng.integers(1, 1_000_000, count).astype(np.int64),
        "item": "0101",
        "period": "2026H2",
    })


def docs_example(marker: str) -> bytes:
    """The example after `<!-- marker -->` in the specification, with the CRLFs the text cannot show."""
    text = DOCS.read_text(encoding="utf-8")
    block = re.search(rf"<!-- {marker} -->\n```text\n(.*?)```", text, re.DOTALL).group(1)
    return block.replace("\n", "\r\n").encode("utf-8")


def lines_of(data: bytes) -> list[bytes]:
    return data.split(b"\r\n")[:-1]


def joined(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\r\n" for line in lines)


def replaced(data: bytes, number: int, line: str) -> bytes:
    """The file with its line `number` (1-based) replaced."""
    lines = lines_of(data)
    lines[number - 1] = line.encode("utf-8")
    return joined(lines)


def raises_at(data: bytes, parse, line: int, fragment: str) -> BankFileError:
    with pytest.raises(BankFileError) as caught:
        parse(data)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"line {line}: "), str(caught.value)
    assert fragment in str(caught.value), str(caught.value)
    return caught.value


# ------------------------------------------------------------------------------------------ round trips


def test_the_specification_examples_are_what_the_writer_produces_and_the_reader_accepts():
    payment = payment_render(example_rows())
    assert payment == docs_example("payment-example")
    header, rows = payment_file_parse(payment)
    assert header == PaymentHeader(file_id=PAYMENT_ID, bank_code="PSBC", payer="430321", created=CREATED,
                                   record_count=3, total_fen=168420, checksum=lines_of(payment)[-1][-64:].decode())
    answer = return_render(example_answer())
    assert answer == docs_example("return-example")
    return_header, results = return_file_parse(answer)
    assert return_header.payment_file_id == header.file_id
    assert return_header.total_fen == 168420
    assert return_matches_payment(rows, results, payment_header=header, return_header=return_header) == []


def test_payment_file_round_trip_gives_back_the_rows_sorted_by_reference():
    rows = generated_rows(10_000, seed=3)
    header, parsed = payment_file_parse(payment_render(rows))
    expected = rows.sort_values("reference", ignore_index=True)
    assert list(parsed.columns) == list(PAYMENT_COLUMNS)
    assert parsed["amount_fen"].dtype == np.int64
    pd.testing.assert_frame_equal(parsed, expected.astype({"item": "str", "period": "str"}), check_dtype=False)
    assert (header.record_count, header.total_fen) == (10_000, int(rows["amount_fen"].sum()))


def test_return_file_round_trip():
    header, parsed = return_file_parse(return_render(example_answer().iloc[::-1]))
    assert list(parsed.columns) == list(RETURN_COLUMNS)
    pd.testing.assert_frame_equal(parsed, example_answer(), check_dtype=False)
    assert header == ReturnHeader(file_id="RF-430321-20261102-01", payment_file_id=PAYMENT_ID, bank_code="PSBC",
                                  processed=PROCESSED, record_count=3, total_fen=168420, checksum=header.checksum)
    assert return_totals(parsed).failed_by_reason == {"R02": 1}


def test_rendering_is_deterministic_whatever_the_row_order_and_dtypes():
    rows = generated_rows(5_000, seed=1)
    shuffled = rows.sample(frac=1, random_state=9).astype({"reference": object, "name": object})
    assert payment_render(rows) == payment_render(shuffled) == payment_render(rows)


def test_file_shape_is_utf8_crlf_without_bom_with_yuan_amounts():
    data = payment_render(example_rows())
    assert not data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\n") == data.count(b"\r\n") == 5 and data.endswith(b"\r\n")
    assert lines_of(data)[2] == "D,P000000001202-1,6221885510000678908,李建国,1500.00,0101,2026".encode()


# ------------------------------------------------------------------------------------- payment file errors


def _payment() -> bytes:
    return payment_render(example_rows())


FRAMING_CASES = [
    ("empty", lambda d: b"", 1, "the file is empty"),
    ("bom", lambda d: b"\xef\xbb\xbf" + d, 1, "byte-order mark"),
    ("not utf-8", lambda d: replaced(d, 3, "D,P000000001202-1,x").replace(b",x", b",\xff"), 3, "not valid UTF-8"),
    ("lf only", lambda d: d.replace(b"\r\n", b"\n"), 1, "LF alone"),
    ("bare cr", lambda d: d.replace("李建国".encode(), "李\r建国".encode()), 3, "carriage return (CR)"),
    ("no final crlf", lambda d: d[:-2], 5, "does not end with CRLF"),
    ("too short", lambda d: joined(lines_of(d)[:1] + lines_of(d)[-1:]), 2, "needs a header, at least one detail"),
]

HEADER_CASES = [
    ("not a header", lambda d: replaced(d, 1, "X,OC1,PF,PSBC,430321,20261102,3,1684.20"), 1, "must start with H"),
    ("field count", lambda d: replaced(d, 1, "H,OC1,PF,PSBC,20261102,3,1684.20"), 1, "has 7 fields; it needs 8"),
    ("return file", lambda d: replaced(d, 1, "H,OC1R,PF,PSBC,430321,20261102,3,1684.20"), 1, "this is a return file"),
    ("file id", lambda d: replaced(d, 1, "H,OC1,PF 1,PSBC,430321,20261102,3,1684.20"), 1, "file id 'PF 1'"),
    ("bank code", lambda d: replaced(d, 1, "H,OC1,PF,psbc,430321,20261102,3,1684.20"), 1, "bank code 'psbc'"),
    ("date", lambda d: replaced(d, 1, "H,OC1,PF,PSBC,430321,20261131,3,1684.20"), 1, "is not a date"),
    ("count", lambda d: replaced(d, 1, "H,OC1,PF,PSBC,430321,20261102,03,1684.20"), 1, "record count '03'"),
    ("total", lambda d: replaced(d, 1, "H,OC1,PF,PSBC,430321,20261102,3,1684.2"), 1, "total '1684.2'"),
]

TRAILER_CASES = [
    ("truncated", lambda d: joined(lines_of(d)[:-1]), 4, "the last line (the trailer) must start with T"),
    ("extra line", lambda d: d + b"\r\n", 6, "must start with T; found ''"),
    ("field count", lambda d: replaced(d, 5, "T,3,1684.20"), 5, "has 3 fields; it needs 4"),
    ("checksum shape", lambda d: replaced(d, 5, "T,3,1684.20," + "A" * 64), 5, "checksum"),
]

DETAIL = "D,P000000001202-1,6221885510000678908,李建国,1500.00,0101,2026"
DETAIL_CASES = [
    ("double quote", DETAIL.replace("李建国", '"李建国"'), "contains a double quote or a control character"),
    ("tab", DETAIL.replace("李建国", "李\t建国"), "contains a double quote or a control character"),
    ("comma in name", DETAIL.replace("李建国", "李,建国"), "has 8 fields; a detail line has 7"),
    ("record type", DETAIL.replace("D,", "T,", 1), "a detail line starts with D; found 'T'"),
    ("reference", DETAIL.replace("P000000001202-1", "P000000001202"), "reference 'P000000001202' is not P"),
    ("attempt zero", DETAIL.replace("P000000001202-1", "P000000001202-0"), "the attempt 1-999"),
    ("card too short", DETAIL.replace("6221885510000678908", "622188551000067"), "card number must be 16 to 19"),
    ("card with space", DETAIL.replace("6221885510000678908", "6221 885510000678908"), "card number must be"),
    ("empty name", DETAIL.replace("李建国", ""), "payee name must be 1 to 50"),
    ("name space", DETAIL.replace("李建国", "李建国\u3000"), "spaces at either end"),
    ("name too long", DETAIL.replace("李建国", "李" * 51), "payee name must be 1 to 50"),
    ("amount decimals", DETAIL.replace("1500.00", "1500.0"), "amount '1500.0' is not yuan with exactly two"),
    ("amount integer", DETAIL.replace("1500.00", "1500"), "amount '1500' is not yuan"),
    ("amount sign", DETAIL.replace("1500.00", "-1500.00"), "is not yuan"),
    ("amount currency", DETAIL.replace("1500.00", "¥1500.00"), "is not yuan"),
    ("amount leading zero", DETAIL.replace("1500.00", "01500.00"), "is not yuan"),
    ("amount zero", DETAIL.replace("1500.00", "0.00"), "amount must be greater than zero"),
    ("amount huge", DETAIL.replace("1500.00", "10000000000.01"), "amount is over 10000000000.00 yuan"),
    ("amount absurd", DETAIL.replace("1500.00", "999999999999999999999.00"), "amount is over"),
    ("item", DETAIL.replace(",0101,", ",01-01,"), "item code '01-01'"),
    ("period", DETAIL.replace(",2026", ",2026Q5"), "period '2026Q5'"),
]


@pytest.mark.parametrize(("case", "edit", "line", "fragment"), FRAMING_CASES + HEADER_CASES + TRAILER_CASES,
                         ids=[case[0] for case in FRAMING_CASES + HEADER_CASES + TRAILER_CASES])
def test_payment_file_framing_header_and_trailer_errors_name_the_line(case, edit, line, fragment):
    raises_at(edit(_payment()), payment_file_parse, line, fragment)


@pytest.mark.parametrize(("case", "line_text", "fragment"), DETAIL_CASES, ids=[case[0] for case in DETAIL_CASES])
def test_payment_detail_errors_name_the_line(case, line_text, fragment):
    lines = lines_of(_payment())
    lines[2] = line_text.encode("utf-8")
    raises_at(joined(lines), payment_file_parse, 3, fragment)  # detail lines are checked before the totals


def test_the_first_bad_line_is_reported_with_the_number_of_other_bad_lines():
    lines = lines_of(payment_render(generated_rows(50)))
    lines[30] = lines[30].replace(b",2026H2", b",2026H3")
    lines[10] = lines[10].replace(b"D,", b"D,,", 1)  # 8 fields
    lines[20] = lines[20].replace(b",0101,", b",,")
    error = raises_at(joined(lines), payment_file_parse, 11, "has 8 fields")
    assert str(error).endswith("(and 2 more lines with problems)")


def test_a_repeated_reference_names_both_lines():
    lines = lines_of(_payment())
    lines[3] = lines[3].replace(b"P000000001203-2", b"P000000001201-1")
    raises_at(joined(lines), payment_file_parse, 4, "reference 'P000000001201-1' repeats line 2")


@pytest.mark.parametrize(("where", "line", "fragment"), [
    ("header count", 1, "the header counts 4 detail lines; the file has 3"),
    ("trailer count", 5, "the trailer counts 4 detail lines; the file has 3"),
    ("header total", 1, "the header total 1684.21 yuan is not the detail lines' sum 1684.20"),
    ("trailer total", 5, "the trailer total 1684.21 yuan is not the detail lines' sum 1684.20"),
])
def test_counts_and_totals_must_match_the_detail_lines(where, line, fragment):
    lines = lines_of(_payment())
    record = 0 if where.startswith("header") else -1
    fields = lines[record].split(b",")
    position = (-2 if record == 0 else 1) if where.endswith("count") else (-1 if record == 0 else 2)
    fields[position] = b"4" if where.endswith("count") else b"1684.21"
    lines[record] = b",".join(fields)
    raises_at(joined(lines), payment_file_parse, line, fragment)


def test_the_checksum_detects_an_edited_amount_even_with_the_totals_adjusted():
    data = _payment()
    edited = data.replace(b",1500.00,", b",1600.00,").replace(b",1684.20", b",1784.20")
    assert edited.count(b"1784.20") == 2
    raises_at(edited, payment_file_parse, 5, "the checksum does not match the detail lines")


def test_error_messages_never_show_a_card_number_or_a_name():
    lines = lines_of(_payment())
    lines[2] = f"D,P000000001202-1,6221885510000678908,李建国,{CARDS[1]},0101,2026".encode()
    error = raises_at(joined(lines), payment_file_parse, 3, "amount (value not shown) is not yuan")
    lines[2] = f"D,{CARDS[1]},6221885510000678908,李建国,1500.00,0101,2026".encode()
    error_reference = raises_at(joined(lines), payment_file_parse, 3, "reference (value not shown)")
    for message in (str(error), str(error_reference)):
        assert CARDS[1] not in message and "李建国" not in message


def test_bank_file_error_is_a_validation_failure():
    with pytest.raises(ValidationFailed) as caught:
        payment_file_parse(b"")
    assert caught.value.status == 422 and caught.value.code == "bank_file"


# ----------------------------------------------------------------------------------------- writer errors


def test_a_name_with_a_comma_or_quote_is_refused_by_reference_not_rewritten():
    for name in ("李,建国", 'Li "Jianguo"', " 李建国"):
        rows = example_rows()
        rows.loc[2, "name"] = name
        with pytest.raises(BankFileError, match=r"^row 2 \(P000000001202-1\): the payee name") as caught:
            payment_render(rows)
        assert name.strip() not in str(caught.value) and caught.value.line is None


@pytest.mark.parametrize(("edit", "fragment"), [
    (lambda rows: rows.assign(amount_fen=rows["amount_fen"].astype(float)), "must be an integer column of fen"),
    (lambda rows: rows.assign(amount_fen=pd.array([6075, None, 1], dtype="Int64")),
     "row 1 (P000000001201-1): amount is missing"),
    (lambda rows: rows.assign(amount_fen=np.array([6075, 0, 1])), "row 1 (P000000001201-1): amount must be greater"),
    (lambda rows: rows.assign(reference=["P1-1", "P1-1", "P2-1"]), "row 1 (P1-1): reference 'P1-1' repeats row 0"),
    (lambda rows: rows.assign(reference=["P1-1", "X", "P2-1"]), "row 1: reference 'X' is not P"),
    (lambda rows: rows.assign(card_number=[CARDS[0], None, CARDS[2]]), "the card number must be 16 to 19"),
    (lambda rows: rows.drop(columns="period"), "the rows lack the columns period"),
    (lambda rows: rows.iloc[:0], "needs at least one line"),
])
def test_the_writer_refuses_bad_rows(edit, fragment):
    with pytest.raises(BankFileError) as caught:
        payment_render(edit(example_rows()))
    assert fragment in str(caught.value)


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({"file_id": "PF/1"}, "file id 'PF/1'"),
    ({"bank_code": "中国银行"}, "bank code"),
    ({"payer": ""}, "payer ''"),
    ({"created": "2026-11-02"}, "created must be a date"),
])
def test_the_writer_refuses_bad_header_values(overrides, fragment):
    with pytest.raises(BankFileError, match=re.escape(fragment)):
        payment_render(example_rows(), **overrides)


# -------------------------------------------------------------------------------------- return file errors


def _return() -> bytes:
    return return_render(example_answer())


RETURN_DETAIL = "D,P000000001202-1,F,R02,1500.00,"
RETURN_CASES = [
    ("unknown reason", RETURN_DETAIL.replace("R02", "R42"), "unknown reason code 'R42'; the codes are R01, R02"),
    ("paid with reason", RETURN_DETAIL.replace(",F,", ",S,") + "TXN1", "a paid line (S) must leave the reason"),
    ("failed without reason", RETURN_DETAIL.replace("R02", ""), "a failed line (F) needs a reason code"),
    ("result", RETURN_DETAIL.replace(",F,", ",X,"), "result 'X' must be S (paid) or F (failed)"),
    ("paid without txn", RETURN_DETAIL.replace(",F,R02,", ",S,,"), "a paid line (S) needs the bank transaction id"),
    ("txn shape", RETURN_DETAIL + "TXN 1", "the bank transaction id must be 1 to 32"),
    ("amount", RETURN_DETAIL.replace("1500.00", "1500"), "amount '1500' is not yuan"),
    ("fields", RETURN_DETAIL + ",", "has 7 fields; a detail line has 6 (D,reference,result,reason,amount,bank_txn)"),
    ("repeated reference", RETURN_DETAIL.replace("1202", "1201"), "reference 'P000000001201-1' repeats line 2"),
    ("repeated txn", RETURN_DETAIL.replace(",F,R02,", ",S,,") + "20261103A1B2C3D4E5F60718",
     "bank transaction id '20261103A1B2C3D4E5F60718' repeats line 2"),
]


@pytest.mark.parametrize(("case", "line_text", "fragment"), RETURN_CASES, ids=[case[0] for case in RETURN_CASES])
def test_return_detail_errors_name_the_line(case, line_text, fragment):
    lines = lines_of(_return())
    lines[2] = line_text.encode()
    raises_at(joined(lines), return_file_parse, 3, fragment)


def test_return_file_counts_totals_checksum_and_version_are_checked():
    data = _return()
    raises_at(data.replace(b",3,1684.20\r\n", b",2,1684.20\r\n", 1), return_file_parse, 1, "header counts 2")
    raises_at(data.replace(b"1684.20", b"1684.30"), return_file_parse, 1, "header total 1684.30 yuan")
    raises_at(data.replace(b",S,,60.75,", b",F,R01,60.75,"), return_file_parse, 5, "checksum does not match")
    raises_at(_payment(), return_file_parse, 1, "format version 'OC1' is not OC1R (this is a payment file)")
    raises_at(data, payment_file_parse, 1, "format version 'OC1R' is not OC1 (this is a return file)")


def test_the_return_writer_refuses_a_paid_line_with_a_reason():
    answer = example_answer()
    answer.loc[0, "reason"] = "R01"
    with pytest.raises(BankFileError, match=r"^row 0 \(P000000001201-1\): a paid line \(S\) must leave"):
        return_render(answer)


# ----------------------------------------------------------------------------------- matching, codes


def test_return_matches_payment_lists_missing_extra_and_changed_lines():
    payment_header, payments = payment_file_parse(_payment())
    answer = example_answer()
    answer.loc[1, "amount_fen"] = 149999
    answer.loc[2, "reference"] = "P000000009999-1"
    header, results = return_file_parse(return_render(answer, payment_file_id="PF-OTHER", bank_code="ICBC",
                                                      processed=date(2026, 11, 1)))
    problems = return_matches_payment(payments, results, payment_header=payment_header, return_header=header)
    assert problems == [
        "the return file answers payment file PF-OTHER, not PF-430321-20261102-01",
        "the return file is from bank ICBC, the payment file went to PSBC",
        "the return file is dated before the payment file was created",
        "P000000001202-1: the return file says 1499.99 yuan, the payment file 1500.00",
        "P000000001203-2: no result in the return file",
        "P000000009999-1: in the return file but not in the payment file",
    ]
    assert return_matches_payment(payments, results.iloc[:0], limit=2)[-1] == "… and 1 more references with problems"


def test_every_reason_code_is_documented_with_chinese_label_and_reissue_flag():
    assert set(REASONS) == set(ReturnReason.values) == REASON_CODES
    documented = DOCS.read_text(encoding="utf-8")
    for code, info in REASONS.items():
        assert re.search(rf"^\| {code} \| {info.label_zh} \| {info.label} \| (yes|\*\*no\*\*) \|", documented, re.M)
    assert not reason_reissuable("R05") and reason_reissuable("R01")
    assert set(REASON_WEIGHTS) == REASON_CODES and abs(sum(REASON_WEIGHTS.values()) - 1) < 1e-9


def test_reference_pattern_accepts_the_documented_shapes():
    for reference in ("P000000001234-1", "P12-345-1", "P12-345-999"):
        assert re.fullmatch(REFERENCE_PATTERN, reference)
    for reference in ("P12-345-0", "P12-345-1000", "p12-1", "P-1", "P12", "P1-2-3-4", "P１２-1"):
        assert not re.fullmatch(REFERENCE_PATTERN, reference)


# ------------------------------------------------------------------------------------------- simulator


@pytest.fixture(scope="module")
def hundred_thousand() -> bytes:
    return payment_render(generated_rows(100_000, seed=11))


def test_simulator_fails_about_the_fail_rate_with_a_realistic_reason_mix(hundred_thousand):
    answer = bank_simulate(hundred_thousand, fail_rate=0.02, seed=7, processed=PROCESSED)
    header, results = return_file_parse(answer)
    totals = return_totals(results)
    assert abs(totals.failed_count / 100_000 - 0.02) < 0.002  # 5 standard deviations
    shares = {code: count / totals.failed_count for code, count in totals.failed_by_reason.items()}
    for code, weight in REASON_WEIGHTS.items():
        assert abs(shares.get(code, 0) - weight) < 0.03, code
    assert sorted(shares, key=shares.get, reverse=True)[:4] == ["R01", "R04", "R03", "R02"]
    assert totals.paid_fen + totals.failed_fen == header.total_fen
    paid = results[results["result"] == "S"]
    assert paid["bank_txn"].is_unique and paid["bank_txn"].str.fullmatch(r"20261103[0-9A-F]{16}").all()
    assert (results.loc[results["result"] == "F", "bank_txn"] == "").all()
    payment_header, payments = payment_file_parse(hundred_thousand)
    assert return_matches_payment(payments, results, payment_header=payment_header, return_header=header) == []


def test_simulator_is_reproducible_per_seed(hundred_thousand):
    first = bank_simulate(hundred_thousand, fail_rate=0.02, seed=7, processed=PROCESSED)
    assert bank_simulate(hundred_thousand, fail_rate=0.02, seed=7, processed=PROCESSED) == first
    assert bank_simulate(hundred_thousand, fail_rate=0.02, seed=8, processed=PROCESSED) != first


def test_simulator_edges_and_refusals():
    data = _payment()
    all_paid = return_file_parse(bank_simulate(data, fail_rate=0, seed=1, processed=CREATED))[1]
    all_failed = return_file_parse(bank_simulate(data, fail_rate=1, seed=1, processed=CREATED))[1]
    assert set(all_paid["result"]) == {"S"} and set(all_failed["result"]) == {"F"}
    with pytest.raises(ValueError, match="fail_rate"):
        bank_simulate(data, fail_rate=1.5, seed=1, processed=PROCESSED)
    with pytest.raises(BankFileError, match="this is a return file"):
        bank_simulate(_return(), fail_rate=0.1, seed=1, processed=PROCESSED)


# --------------------------------------------------------------------------------------------- command


def test_bank_simulate_command_writes_a_return_file_that_parses(tmp_path):
    source = tmp_path / "PF-430321-20261102-01.csv"
    source.write_bytes(payment_render(generated_rows(2_000, seed=5)))
    out = io.StringIO()
    call_command("bank_simulate", str(source), "--fail-rate", "0.1", "--seed", "3", "--paid-on", "2026-11-03",
                 stdout=out)
    target = tmp_path / "PF-430321-20261102-01.return.csv"
    printed = out.getvalue().splitlines()
    assert printed[0] == str(target)
    header, results = return_file_parse(target.read_bytes())
    assert target.read_bytes() == bank_simulate(source.read_bytes(), fail_rate=0.1, seed=3, processed=PROCESSED)
    assert header.record_count == 2_000 and f"2000 lines, {header.total_fen // 100}." in printed[1]
    assert printed[3].startswith(f"failed  {return_totals(results).failed_count} lines")
    assert not list(tmp_path.glob("*.part"))

    elsewhere = tmp_path / "answers" / "r.csv"
    elsewhere.parent.mkdir()
    call_command("bank_simulate", str(source), "--seed", "3", "--paid-on", "2026-11-03", "--out", str(elsewhere),
                 stdout=io.StringIO())
    assert return_file_parse(elsewhere.read_bytes())[0].payment_file_id == PAYMENT_ID


def test_bank_simulate_command_refuses_a_bad_payment_file(tmp_path):
    source = tmp_path / "bad.csv"
    source.write_bytes(_payment().replace(b"\r\n", b"\n"))
    with pytest.raises(CommandError, match="line 1: the line ends with LF alone"):
        call_command("bank_simulate", str(source), "--paid-on", "2026-11-03", stdout=io.StringIO())
    with pytest.raises(CommandError, match="no such file"):
        call_command("bank_simulate", str(tmp_path / "missing.csv"), stdout=io.StringIO())
    assert not (tmp_path / "bad.return.csv").exists()
