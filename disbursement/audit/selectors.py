"""Reading the audit chain: its tail, and a walk that names every record where the chain is broken."""

from dataclasses import dataclass
from datetime import datetime

from disbursement.audit.models import GENESIS_HASH, AuditEvent, audit_event_digest


class AuditProblem:
    EDITED = "edited"  # the record's content no longer matches its hash
    DELETED = "deleted"  # sequence numbers are missing before this record
    UNLINKED = "unlinked"  # prev_hash is not the hash of the record before it: removed, replaced or moved
    # ids come from a sequence inside the chain lock (and old records were chained in id order), so they rise
    # with seq. Time is not compared: records from before the chain carry app-server clocks, which may disagree.
    REORDERED = "reordered"


@dataclass(frozen=True)
class AuditFinding:
    seq: int
    id: int
    problem: str
    message: str

    def __str__(self) -> str:
        return f"seq {self.seq} (id {self.id}): {self.problem}: {self.message}"


@dataclass(frozen=True)
class AuditTail:
    seq: int
    id: int
    hash: str
    at: datetime


_FIELDS = ("id", "seq", "at", "actor_id", "action", "object_type", "object_id", "region_id", "detail", "prev_hash",
           "hash")


def audit_chain_tail() -> AuditTail | None:
    row = AuditEvent.objects.order_by("-seq").values_list("seq", "id", "hash", "at").first()
    return AuditTail(*row) if row else None


def audit_chain_verify(*, batch_size: int = 5000, up_to_seq: int | None = None) -> list[AuditFinding]:
    """Walk the chain in seq order, `batch_size` records at a time (keyset on the unique seq index, so memory
    stays flat for any length), and return one finding per problem found.

    Each record is compared with the one before it *as stored*, so a single edited record is named once
    and does not make every later record look broken. Records deleted from the end of the chain leave no
    trace in the table; compare the tail hash with one kept elsewhere to catch that.
    """
    findings: list[AuditFinding] = []
    expected_seq, prev_hash, prev = 1, GENESIS_HASH, None
    events = AuditEvent.objects.order_by("seq")
    if up_to_seq is not None:
        events = events.filter(seq__lte=up_to_seq)
    last_seq = 0
    while True:
        batch = list(events.filter(seq__gt=last_seq).values(*_FIELDS)[:batch_size])
        if not batch:
            return findings
        for row in batch:
            seq, id_ = row["seq"], row["id"]
            problems = []
            if audit_event_digest(**{k: v for k, v in row.items() if k not in ("id", "hash")}) != row["hash"]:
                problems.append((AuditProblem.EDITED, "its content does not match its hash"))
            if seq != expected_seq:
                missing = f"seq {expected_seq}" if seq == expected_seq + 1 else f"seq {expected_seq}..{seq - 1}"
                problems.append((AuditProblem.DELETED, f"{missing} missing before it"))
            elif row["prev_hash"] != prev_hash:
                problems.append((AuditProblem.UNLINKED, "its prev_hash is not the hash of the record before it"))
            if prev is not None and id_ < prev[1]:
                problems.append((AuditProblem.REORDERED, f"its id is lower than that of seq {prev[0]} (id {prev[1]})"))
            findings += [AuditFinding(seq=seq, id=id_, problem=p, message=m) for p, m in problems]
            expected_seq, prev_hash, prev = seq + 1, row["hash"], (seq, id_)
        last_seq = batch[-1]["seq"]
