"""The standards roster lines are compared with, resolved as the import resolves them (catalog.standards): per
roster, the standard in force for its township on its period's last day. Rosters are few next to their lines,
so resolution runs in memory per roster and the result is staged for one join with the lines."""

import pandas as pd
from django.db import connection

from disbursement import bulk
from disbursement.catalog.models import Standard
from disbursement.catalog.standards import standards_by_roster_key
from disbursement.risk.base import Scope
from disbursement.risk.rules.queries import period_days
from disbursement.rosters.models import Roster

# roster_id, low_fen, high_fen: the amounts any line of the roster may pay (NULL when it has age bands);
# top_fen: the highest amount of any band.
FLAT = "risk_standard_flat"
AGE = "risk_standard_age"  # roster_id, born_after, born_until, amount_fen: one row per age band


def roster_standards_stage(scope: Scope) -> None:
    """Create and fill the two staging tables on this connection; call inside a transaction (PostgreSQL drops
    them at its end)."""
    rosters = Roster.objects.filter(item_id__in=Standard.objects.values("item_id"))
    if scope.roster_id is not None:
        rosters = rosters.filter(pk=scope.roster_id)
    keys = pd.DataFrame(list(rosters.values_list("id", "item_id", "township_id", "period")),
                        columns=["roster_id", "item_id", "township_id", "period"])
    flat = pd.DataFrame(columns=["roster_id", "low_fen", "high_fen", "top_fen"])
    age = pd.DataFrame(columns=["roster_id", "born_after", "born_until", "amount_fen"])
    if not keys.empty:
        days = period_days(keys[["item_id", "period"]])
        keys = keys.merge(days.rename(columns={"ends_on": "period_end"}), on=["item_id", "period"])
        found = standards_by_roster_key(keys[["item_id", "township_id", "period_end"]].drop_duplicates())
        per_roster = keys.merge(found, on=["item_id", "township_id", "period_end"])
        other = per_roster[per_roster["kind"] != "age"]
        bounds = other.groupby("roster_id")["amount_fen"].agg(low_fen="min", high_fen="max")
        top = per_roster.groupby("roster_id")["amount_fen"].max().rename("top_fen")
        flat = pd.concat([bounds, top], axis=1).reset_index().astype("Int64")
        age = per_roster.loc[per_roster["kind"] == "age", ["roster_id", "born_after", "born_until", "amount_fen"]]
    with connection.cursor() as cursor:
        bulk.stage_create(cursor, FLAT, {"roster_id": "bigint", "low_fen": "bigint", "high_fen": "bigint",
                                         "top_fen": "bigint"})
        bulk.stage_create(cursor, AGE, {"roster_id": "bigint", "born_after": "date", "born_until": "date",
                                        "amount_fen": "bigint"})
        if len(flat):
            bulk.stage_fill(cursor, FLAT, flat)
        if len(age):
            age = age.assign(born_after=age["born_after"].astype(str), born_until=age["born_until"].astype(str))
            bulk.stage_fill(cursor, AGE, age)
