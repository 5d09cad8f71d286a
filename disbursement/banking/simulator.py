"""A stand-in for the agent bank: answers a payment file with the return file a bank would send.

For the demo, tests and load tests: it reads the payment file as strictly as our own importer would, fails a
random share of the lines with a realistic mix of reasons and pays the rest. Everything is drawn from numpy's
generator seeded by `seed`, so the same payment file, seed and date give a byte-identical return file.
"""

import hashlib
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa

from disbursement.banking.formats import FAILED, PAID, payment_file_parse, return_file_render

# Share of each reason among failed lines: closed and unknown accounts dominate real returns, then frozen cards
# and name mismatches; deaths, lost and inactive cards are a few percent.
REASON_WEIGHTS: dict[str, float] = {
    "R01": 0.30, "R04": 0.25, "R03": 0.17, "R02": 0.13,
    "R05": 0.04, "R06": 0.04, "R08": 0.04, "R99": 0.02, "R07": 0.01,
}
_HEX = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)


def bank_simulate(payment_bytes: bytes, *, fail_rate: float, seed: int, processed: date,
                  file_id: str | None = None) -> bytes:
    """The return file for `payment_bytes` (BankFileError if that is not a valid payment file).

    1. Parse the payment file strictly.
    2. Each line fails with probability `fail_rate` (one uniform draw per line, in file order); failed lines get
       a reason drawn from REASON_WEIGHTS, paid lines a bank transaction id from seed and reference.
    3. Render the return file, id `<payment file id>-R` unless given, every line with its payment's amount.

    `processed` is taken as given, even when before the payment file's date: callers pass a server-clock date
    while files are dated in China time, and the day differs for eight hours a day.
    """
    if not 0.0 <= fail_rate <= 1.0:
        raise ValueError("fail_rate must be between 0 and 1")
    if seed < 0:
        raise ValueError("seed must be zero or positive")
    header, rows = payment_file_parse(payment_bytes)
    rng = np.random.default_rng(seed)
    failed = rng.random(len(rows)) < fail_rate
    codes = np.array(list(REASON_WEIGHTS), dtype=object)
    weights = np.array(list(REASON_WEIGHTS.values()))
    reasons = np.full(len(rows), "", dtype=object)
    reasons[failed] = codes[rng.choice(len(codes), size=int(failed.sum()), p=weights / weights.sum())]
    txn = bank_txn_ids(rows["reference"], seed=seed, processed=processed)
    answer = pd.DataFrame({
        "reference": rows["reference"],
        "result": pd.Series(np.where(failed, FAILED, PAID), dtype="str"),
        "reason": pd.Series(reasons, dtype="str"),
        "amount_fen": rows["amount_fen"],
        "bank_txn": txn.where(~failed, ""),
    })
    return return_file_render(file_id=file_id or f"{header.file_id[:38]}-R", payment_file_id=header.file_id,
                              bank_code=header.bank_code, processed=processed, rows=answer)


def bank_txn_ids(references: pd.Series, *, seed: int, processed: date) -> pd.Series:
    """`YYYYMMDD` + 16 hex digits of a keyed 64-bit hash of the reference: deterministic per seed and reference,
    and unique within the file (the rare colliding reference is hashed again with the next key)."""
    hashes = np.zeros(len(references), dtype=np.uint64)
    todo = np.ones(len(references), dtype=bool)
    attempt = 0
    while todo.any():
        key = hashlib.sha256(f"bank_simulate:{seed}:{attempt}".encode()).hexdigest()[:16]
        hashes[todo] = pd.util.hash_pandas_object(references[todo], index=False, hash_key=key,
                                                  categorize=False).to_numpy(dtype=np.uint64)
        todo = pd.Series(hashes).duplicated(keep="first").to_numpy()
        attempt += 1
    shifts = np.arange(60, -4, -4, dtype=np.uint64)
    digits = _HEX[((hashes[:, None] >> shifts) & np.uint64(15)).astype(np.intp)]
    hexes = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), len(digits), [None, pa.py_buffer(digits.tobytes())])
    text = pd.Series(hexes.cast(pa.string()), dtype="str")
    return (f"{processed:%Y%m%d}" + text).set_axis(references.index)
