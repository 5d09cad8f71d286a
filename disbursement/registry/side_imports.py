"""Side-register imports (deaths, cadres, land, payroll, vehicles, enterprises, pensions, moves).

A file covers one region, its `scope` (a county, a city or the province), chosen by the uploader inside his
jurisdiction. It is checked whole (every problem named by row, field and code) and accepted whole or not at
all; accepting it replaces that register's rows of that scope (a snapshot, not a log) and queues the targeted
risk scan of that register and scope. Jobs are rosters' ImportJob rows with the same lifecycle and sweep.
"""

import logging
from functools import partial, update_wrapper

import pandas as pd
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disbursement import bulk, pii
from disbursement.accounts.permissions import action_check
from disbursement.audit.services import audit_record
from disbursement.errors import ValidationFailed
from disbursement.registry import validators
from disbursement.registry.side_specs import ENTERPRISE_ROLES, MESSAGES, SPECS, RegisterSpec
from disbursement.registry.tabular import TableError, columns_canonical, columns_missing, table_read
from disbursement.rosters.checks import CheckResult, ErrorList
from disbursement.rosters.models import ImportJob, ImportStatus
from disbursement.rosters.services import (
    ImportRejected,
    import_file_bytes,
    import_finish,
    import_job_create,
    import_job_publish,
    import_job_run,
    import_progress_set,
    import_reject,
)
from geo import codes
from geo.models import Region, RegionLevel

logger = logging.getLogger(__name__)

SCOPE_LEVELS = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY)
PROVINCE_CODE = "430000000000"
_STAGE = "side_stage"
_VALUE_KIND = {"id": "id", "date": "date", "area": "money", "yuan": "money"}
_CREDIT_CODE = r"[0-9A-HJ-NPQRTUWXY]{18}"


def register_import_submit(*, actor, kind: str, scope_code: str, content, file_name: str,
                           enqueue: bool = True) -> ImportJob:
    """Check who, which register and which region; store the file; queue the job after this transaction
    commits. `enqueue=False` leaves running it to the caller (the import_register command runs it in-process)."""
    if kind not in SPECS:
        raise ValidationFailed(_("No side register %(kind)s.") % {"kind": kind}, field="kind")
    scope = Region.objects.filter(code=scope_code, level__in=SCOPE_LEVELS).first()
    if scope is None:
        raise ValidationFailed(_("The region a register covers must be a county, a city or the province."),
                               field="scope")
    action_check(actor, "register.import", region_code=scope.code, existing=False)
    job = import_job_create(kind=kind, actor=actor, region=scope, content=content, file_name=file_name)
    if enqueue:
        transaction.on_commit(lambda: import_job_publish(job=job))
    return job


def register_import_execute(*, job_id: int) -> ImportJob:
    """Run a queued side-register job once; a second delivery does nothing."""
    return import_job_run(job_id=job_id, body=_register_execute)


def _register_execute(job: ImportJob) -> None:
    """Read, check, and replace the scope's rows in one transaction. Locks: the scope's region row (no key),
    then the register's rows of that scope (DELETE); the audit record is the transaction's last write."""
    import_progress_set(job.pk, "reading", 0, 0)
    spec = SPECS[job.kind]
    frame = table_read(import_file_bytes(job))
    total = len(frame)
    ImportJob.objects.filter(pk=job.pk).update(rows_total=total)
    job.rows_total = total
    missing = columns_missing(frame, spec.aliases, spec.required)
    if missing:
        labels = {column.name: column.headers[0] for column in spec.columns}
        errors = [{"row": None, "field": name, "code": "missing_column",
                   "message": _("Required column missing: %(header)s (or %(alias)s).")
                   % {"header": labels[name], "alias": name}} for name in missing]
        import_finish(job, ImportStatus.REJECTED, errors=errors, error_count=len(errors),
                      message=_("Required column(s) missing: %(columns)s.")
                      % {"columns": "、".join(labels[name] for name in missing)})
        return

    def progress(phase: str, done: int) -> None:
        import_progress_set(job.pk, phase, done, total)

    try:
        with transaction.atomic():
            # Imports of one scope take turns: two snapshots replacing the same rows at once would both delete
            # the old rows and both insert. NO KEY: rows that merely point at the region are not held up.
            Region.objects.select_for_update(no_key=True).filter(code=job.region_id).first()
            result = register_check(frame, spec=spec, scope_code=job.region_id, progress=progress)
            if len(result.errors):
                raise ImportRejected(result.errors)
            progress("saving", total)
            replaced = _register_persist(result.rows, spec=spec, scope_code=job.region_id, job=job)
            audit_record(actor=job.uploaded_by, action="register.import", obj=job, region_code=job.region_id,
                         kind=job.kind, rows=total, replaced=replaced, file_sha256=job.file_sha256)
            # robust: the import is committed whatever becomes of the scan's queueing. (Django logs a failing
            # robust callback by its __qualname__, which a bare partial lacks.)
            queue = update_wrapper(partial(risk_scan_queue, job.kind, job.region_id), risk_scan_queue)
            transaction.on_commit(queue, robust=True)
    except ImportRejected as rejected:
        import_reject(job, frame, rejected.errors)
        return
    except IntegrityError:
        raise TableError(_("Another import of this register was accepted while this file was being checked; "
                           "upload it again.")) from None
    import_finish(job, ImportStatus.ACCEPTED,
                  message=_("%(rows)s row(s) accepted; they replace the %(replaced)s row(s) this register held "
                            "for this region.") % {"rows": total, "replaced": replaced})


def risk_scan_queue(kind: str, scope_code: str) -> None:
    """The targeted scan of the rules that read this register, over the region just imported."""
    from disbursement.risk.tasks import risk_scan_targeted_run

    risk_scan_targeted_run.delay(kind, scope_code)


# ------------------------------------------------------------------------------------------------ checks


def _message_lookup(spec: RegisterSpec):
    kinds = {column.name: column.kind for column in spec.columns}

    def message(field: str, code: str) -> str:
        kind = kinds.get(field, field)
        text = (MESSAGES.get(f"{field}.{code}") or MESSAGES.get(f"{kind}.{code}")
                or validators.ERROR_MESSAGES.get(f"{_VALUE_KIND.get(kind, kind)}.{code}"))
        return str(text) if text is not None else code

    return message


def register_check(frame: pd.DataFrame, *, spec: RegisterSpec, scope_code: str,
                   progress=lambda phase, done: None) -> CheckResult:
    """Every problem of every row, whole columns at a time; `rows` holds the values ready for the table.

    1. single values with the vectorised validators (ID, dates, amounts) and plain column expressions;
    2. relations inside the file (dates in order, regions inside the scope, duplicates of the key);
    3. for registers whose key is unique across scopes, rows of other scopes with the same key (a join).
    """
    frame = columns_canonical(frame, spec.aliases, spec.required)
    errors = ErrorList(_message_lookup(spec))
    rows = pd.DataFrame(index=frame.index)
    today = validators.china_today()
    regions = pd.DataFrame(Region.objects.values_list("code", "level"), columns=["code", "level"]).set_index("code")
    valid = {}
    for column in spec.columns:
        raw = frame[column.name] if column.name in frame else pd.Series("", index=frame.index)
        text = raw.astype(str).str.strip()
        target = column.target or column.name
        empty = text == ""
        if column.kind == "text":
            if column.required:
                errors.add(frame.index[empty], column.name, "required")
            errors.add(frame.index[validators.formula_cells(raw)], column.name, "formula")
            errors.add(frame.index[text.str.len() > column.max_length], column.name, "too_long",
                       max=column.max_length)
            rows[target] = text
        elif column.kind == "id":
            ids = validators.id_numbers(raw, today=today)
            errors.add_codes(column.name, ids["error"])
            valid[column.name] = ids["error"] == ""
            rows[target] = ids["value"]
        elif column.kind == "date":
            parsed = validators.dates(raw, required=column.required, not_after=today if column.not_future else None)
            errors.add_codes(column.name, parsed["error"])
            rows[target] = parsed["value"].where(parsed["value"] != "", None)
        elif column.kind in ("village", "region"):
            level = text.map(regions["level"])
            known = level.notna() if column.kind == "region" else level == RegionLevel.VILLAGE
            errors.add(frame.index[empty], column.name, "required")
            errors.add(frame.index[~empty & ~known], column.name, "unknown")
            valid[column.name] = known
            rows[target] = text
        elif column.kind in ("area", "yuan"):
            amount = validators.money(raw, decimals=2)
            errors.add_codes(column.name, amount["error"])
            # area in mu to 2 decimals = hundredths; stored in thousandths of a mu
            rows[target] = amount["value"] * (10 if column.kind == "area" else 1)
        elif column.kind == "role":
            role = text.map(ENTERPRISE_ROLES)
            errors.add(frame.index[empty], column.name, "required")
            errors.add(frame.index[~empty & role.isna()], column.name, "unknown")
            rows[target] = role.fillna("")
        elif column.kind == "credit_code":
            code = text.str.upper()
            errors.add(frame.index[empty], column.name, "required")
            errors.add(frame.index[~empty & ~code.str.fullmatch(_CREDIT_CODE)], column.name, "bad_format")
            rows[target] = code
    progress("checking", len(frame) // 2)

    if spec.date_order:
        start, end = (rows[name] for name in spec.date_order)
        both = start.notna() & end.notna()
        errors.add(frame.index[both & (end.fillna("") < start.fillna(""))], spec.date_order[1], "before_start")
    if spec.region_columns:
        low, high = codes.subtree_bounds(scope_code)
        inside = pd.Series(False, index=frame.index)
        known = pd.Series(True, index=frame.index)
        for name in spec.region_columns:
            target = next(c.target or c.name for c in spec.columns if c.name == name)
            inside |= (rows[target] >= low) & (rows[target] <= high)
            known &= valid[name]
        errors.add(frame.index[known & ~inside], spec.region_columns[0], "outside_scope")

    id_ok = valid["id_number"]
    rows["id_hash"] = ""
    rows.loc[id_ok, "id_hash"] = pii.blind_index_many(rows.loc[id_ok, "id_number"].tolist())
    if spec.duplicate_key:
        _duplicates_check(rows, spec, id_ok, scope_code, errors)
    progress("checking", len(frame))
    return CheckResult(errors=errors.frame(), rows=rows)


def _key_columns(spec: RegisterSpec) -> tuple[list[str], str]:
    """The key as columns of `rows`, and the field its errors are reported on."""
    targets = {column.name: column.target or column.name for column in spec.columns}
    key = [targets.get(name, name) for name in spec.duplicate_key]
    field = "id_number" if spec.duplicate_key == ("id_hash",) else spec.duplicate_key[-1]
    return key, field


def _duplicates_check(rows: pd.DataFrame, spec: RegisterSpec, id_ok: pd.Series, scope_code: str,
                      errors: ErrorList) -> None:
    key, field = _key_columns(spec)
    usable = rows[key].ne("").all(axis=1) & (id_ok if "id_hash" in key else True)
    keyed = rows.loc[usable, key]
    if keyed.empty:
        return
    first_row = pd.Series(keyed.index, index=keyed.index).groupby([keyed[c] for c in key]).transform("min")
    repeated = first_row[first_row != first_row.index]
    errors.add(repeated.index, field, "duplicate_in_file", first=repeated)
    if not spec.unique_across_scopes:
        return
    table = spec.model._meta.db_table
    stage = keyed.copy()
    stage.insert(0, "row_number", stage.index)
    types = {"row_number": "bigint", **{c: "uuid" if c == "id_hash" else "text" for c in key}}
    on = " AND ".join(f"t.{c} = s.{c}" for c in key)
    with connection.cursor() as cursor:
        bulk.stage_create(cursor, _STAGE, types)
        bulk.stage_fill(cursor, _STAGE, stage, text_columns=tuple(c for c in key if c != "id_hash"))
        elsewhere = bulk.rows_fetch(cursor, f"""
            SELECT DISTINCT s.row_number FROM {_STAGE} s JOIN {table} t ON {on}
            WHERE t.scope_id IS NULL OR t.scope_id <> %s""", [scope_code])["row_number"]
        bulk.stage_drop(cursor, _STAGE)
    errors.add(pd.Index(elsewhere.astype("int64")), field, "other_scope")


# ------------------------------------------------------------------------------------------------ writing


def _register_persist(rows: pd.DataFrame, *, spec: RegisterSpec, scope_code: str, job: ImportJob) -> int:
    """Replace the scope's rows of this register by the file's: one DELETE, one COPY (executemany on SQLite),
    in the caller's transaction. Returns how many rows were replaced."""
    model = spec.model
    ids = rows["id_number"]
    frame = pd.DataFrame({
        "id_hash": rows["id_hash"],
        "id_cipher": pii.encrypt_many(ids.tolist()),
        # pii.mask_id, as a column expression (every accepted ID has 18 characters)
        "id_masked": ids.str[:3] + "*" * 11 + ids.str[-4:],
        "name": rows["name"],
        "scope_id": scope_code,
        "job_id": job.pk,
        "imported_at": timezone.now().isoformat(),
    })
    text_columns = ["id_cipher", "id_masked", "name"]
    for column in spec.columns:
        if column.kind in ("id",) or column.name == "name":
            continue
        target = column.target or column.name
        frame[target] = rows[target]
        if column.kind in ("text", "role", "credit_code"):
            text_columns.append(target)
    replaced = model.objects.filter(scope_id=scope_code).delete()[0]
    with connection.cursor() as cursor:
        # In blind-index order, the index on it is filled page by page instead of at random.
        bulk.table_copy(cursor, model._meta.db_table, frame.sort_values("id_hash"), text_columns=tuple(text_columns))
    bulk.tables_analyze(model)
    return replaced
