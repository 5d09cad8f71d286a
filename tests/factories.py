"""Small builders for test data: valid (or deliberately broken) ID and card numbers, roster files."""

import csv
import io
import itertools

from openpyxl import Workbook

_ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_serial = itertools.count(1)


def id_check_char(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def id_number(prefix: str = "430321", birth: str = "19800101", seq: int | None = None) -> str:
    seq = next(_serial) % 1000 if seq is None else seq
    first17 = f"{prefix}{birth}{seq:03d}"
    return first17 + id_check_char(first17)


def luhn_complete(partial: str) -> str:
    total = 0
    for i, digit in enumerate(reversed(partial)):
        d = int(digit)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return partial + str((10 - total % 10) % 10)


def card_number(bin_: str = "622848", seq: int | None = None, length: int = 19) -> str:
    seq = next(_serial) if seq is None else seq
    return luhn_complete(f"{bin_}{seq:0{length - len(bin_) - 1}d}")


def han_name(surname: str, serial: int, suffix: str = "") -> str:
    """A name the import accepts (no digits): 孙 and 12 give 孙一二."""
    return surname + "".join("零一二三四五六七八九"[int(d)] for d in str(serial)) + suffix


HEADER = [
    "姓名", "身份证号", "社保卡号", "开户银行", "村(社区)代码", "村民小组", "数量", "标准", "金额", "联系电话", "备注",
]


def roster_row(name, id_no, card, village, quantity="1", rate="500.00", amount="500.00", phone="", bank="中国农业银行",
               group="一组", remark=""):
    return [name, id_no, card, bank, village, group, quantity, rate, amount, phone, remark]


def roster_csv(rows, encoding: str = "utf-8", header=HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def roster_xlsx(rows, header=HEADER, numeric_columns: tuple[int, ...] = ()) -> bytes:
    """An XLSX as Excel users make it; `numeric_columns` are written as numbers (the Excel mistake)."""
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append([float(value) if i in numeric_columns else value for i, value in enumerate(row)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
