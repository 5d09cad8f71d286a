"""Rebuilding the supervision facts from the money path and the register (the only writer of their tables)."""

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models.functions import Substr
from django.utils import timezone
from redis.exceptions import RedisError

from disbursement.catalog.models import Item
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.registry.models import Person
from disbursement.rosters.models import Roster
from disbursement.supervision.models import FactsRefresh, PaymentFact, ReachFact, ReachScope, RegisterFact
from geo import codes

logger = logging.getLogger(__name__)

FAILED = (PaymentStatus.FAILED, PaymentStatus.REISSUED, PaymentStatus.RETURNED)
OPEN = (PaymentStatus.PENDING, PaymentStatus.SENT, PaymentStatus.HELD)


def _month_sql() -> str:
    """The month money moved ("YYYY-MM", local time): settled, or created while unsettled."""
    moved = "COALESCE(p.settled_at, p.created_at)"
    if connection.vendor == "postgresql":
        return f"to_char({moved} AT TIME ZONE %s, 'YYYY-MM')"
    # SQLite stores UTC text; the local zone (Asia/Shanghai) keeps one offset all year.
    return f"strftime('%%Y-%%m', {moved}, %s)"


def _month_param() -> str:
    if connection.vendor == "postgresql":
        return settings.TIME_ZONE
    offset = timezone.get_current_timezone().utcoffset(datetime(2026, 1, 1))
    return f"{int(offset.total_seconds() // 60):+d} minutes"


def _in(values) -> str:
    return ", ".join(["%s"] * len(values))


def facts_refresh(*, county_codes: list[str] | None = None, years: list[int] | None = None) -> int:
    """Rebuild the facts of the given counties (default: every county) for the given years (default: all),
    one county per transaction; returns the number of counties rebuilt. Set-based: a DELETE and an
    INSERT … SELECT … GROUP BY per table, on PostgreSQL and SQLite alike.

    Locks: the county's FactsRefresh row (so two refreshes of one county queue), then the fact rows it replaces.
    """
    if county_codes is None:
        county_codes = _counties_with_data()
    counties = sorted({code[:6].ljust(12, "0") for code in county_codes})
    for county in counties:
        _county_refresh(county, sorted(set(years)) if years else None)
    return len(counties)


def _counties_with_data() -> list[str]:
    """Counties that have rosters or register entries, or facts to clear (not the country's 2,800 counties)."""
    found = set(FactsRefresh.objects.values_list("county_id", flat=True))
    for model, column in ((Roster, "township_id"), (Person, "village_id")):
        found.update(model.objects.order_by().annotate(county=Substr(column, 1, 6)).values_list("county", flat=True)
                     .distinct())
    return sorted(code[:6].ljust(12, "0") for code in found)


@transaction.atomic
def _county_refresh(county: str, years: list[int] | None) -> None:
    FactsRefresh.objects.bulk_create([FactsRefresh(county_id=county)], ignore_conflicts=True)
    FactsRefresh.objects.select_for_update().get(county_id=county)
    low, high = codes.subtree_bounds(county)
    payment, roster, item, person = (m._meta.db_table for m in (Payment, Roster, Item, Person))
    year_sql = "CAST(SUBSTR(r.period, 1, 4) AS INTEGER)"
    where = "r.township_id BETWEEN %s AND %s"
    where_params: list = [low, high]
    fact_where = "village_id BETWEEN %s AND %s"
    fact_params: list = [low, high]
    if years:
        where += f" AND SUBSTR(r.period, 1, 4) IN ({_in(years)})"
        where_params += [str(y) for y in years]
        fact_where += f" AND year IN ({_in(years)})"
        fact_params += list(years)

    def when(statuses, value: str) -> str:
        return f"SUM(CASE WHEN p.status IN ({_in(statuses)}) THEN {value} ELSE 0 END)"

    status_params: list = []
    columns = []
    # Column pairs (fen, count) in the order of the INSERT below: paid, failed, re-issued, returned, open.
    for statuses in ((PaymentStatus.PAID,), FAILED, (PaymentStatus.REISSUED,), (PaymentStatus.RETURNED,), OPEN):
        columns.append(f"{when(statuses, 'p.amount_fen')}, {when(statuses, '1')}")
        status_params += [*statuses, *statuses]
    # "Stopped before payment" as disbursement.payments.selectors.payments_stopped counts it.
    stopped = (PaymentStatus.HELD, PaymentStatus.CANCELLED)
    held = f"p.held_at IS NOT NULL AND p.status IN ({_in(stopped)})"
    columns.append(f"SUM(CASE WHEN {held} THEN p.amount_fen ELSE 0 END), SUM(CASE WHEN {held} THEN 1 ELSE 0 END)")
    status_params += [*stopped, *stopped]
    reach_from = f"""
        FROM {payment} p JOIN {roster} r ON r.id = p.roster_id JOIN {person} pe ON pe.id = p.person_id
        JOIN {item} i ON i.code = r.item_id
        WHERE p.status = %s AND {where}"""
    distinct = "COUNT(DISTINCT COALESCE(pe.household_id, -pe.id)), COUNT(DISTINCT p.person_id)"
    with connection.cursor() as cursor:
        for model in (PaymentFact, ReachFact):
            cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE {fact_where}", fact_params)
        cursor.execute(f"DELETE FROM {RegisterFact._meta.db_table} WHERE village_id BETWEEN %s AND %s", [low, high])
        cursor.execute(f"""
            INSERT INTO {PaymentFact._meta.db_table} (village_id, year, month, item_id, category, paid_fen, paid,
                failed_fen, failed, reissued_fen, reissued, returned_fen, returned, open_fen, "open", stopped_fen,
                stopped)
            SELECT p.village_id, {year_sql}, {_month_sql()}, r.item_id, i.category_id, {", ".join(columns)}
            FROM {payment} p JOIN {roster} r ON r.id = p.roster_id JOIN {item} i ON i.code = r.item_id
            WHERE {where}
            GROUP BY 1, 2, 3, 4, 5""", [_month_param(), *status_params, *where_params])
        reach = f"INSERT INTO {ReachFact._meta.db_table} (village_id, year, scope, scope_code, households, persons)"
        if connection.vendor == "postgresql":
            # One pass over the payments for the three grains (SQLite has no GROUPING SETS: three passes there).
            cursor.execute(f"""
                {reach}
                SELECT p.village_id, {year_sql},
                       CASE WHEN GROUPING(r.item_id) = 0 THEN %s WHEN GROUPING(i.category_id) = 0 THEN %s ELSE %s END,
                       COALESCE(r.item_id, i.category_id, ''), {distinct} {reach_from}
                GROUP BY GROUPING SETS ((p.village_id, {year_sql}), (p.village_id, {year_sql}, r.item_id),
                                       (p.village_id, {year_sql}, i.category_id))""",
                           [ReachScope.ITEM, ReachScope.CATEGORY, ReachScope.ALL, PaymentStatus.PAID, *where_params])
        else:
            for scope, code in ((ReachScope.ALL, "''"), (ReachScope.ITEM, "r.item_id"),
                                (ReachScope.CATEGORY, "i.category_id")):
                cursor.execute(f"""
                    {reach}
                    SELECT p.village_id, {year_sql}, %s, {code}, {distinct} {reach_from}
                    GROUP BY 1, 2, 3, 4""", [scope, PaymentStatus.PAID, *where_params])
        cursor.execute(f"""
            INSERT INTO {RegisterFact._meta.db_table} (village_id, persons, households)
            SELECT village_id, COUNT(*), COUNT(DISTINCT household_id) FROM {person}
            WHERE village_id BETWEEN %s AND %s GROUP BY village_id""", [low, high])
    FactsRefresh.objects.filter(county_id=county).update(refreshed_at=timezone.now())


# A county-year whose refresh is queued and has not started: later changes ride on it instead of queueing another.
PENDING_KEY = "supervision-facts-pending:{county}:{year}"
PENDING_TIMEOUT = 3600  # a lost task frees the key after an hour; the nightly refresh catches up anyway
REFRESH_DELAY_SECONDS = 10.0  # a queued refresh waits, gathering a burst of bank files into one rebuild (setting)


# Inside `facts_refresh_batched()`, changed county-years are collected here and rebuilt once at its end.
_batched: ContextVar[set | None] = ContextVar("supervision_facts_batched", default=None)


def facts_refresh_enqueue(*, region_code: str, period: str) -> None:
    """After the money path changed payments of a region (a township's roster) for a period: queue the rebuild
    of that county's facts for the period's year once the transaction commits. At most one refresh per
    county-year waits at a time; without a broker the nightly refresh (and `refresh_supervision_facts`) catch up.
    """
    county, year = region_code[:6].ljust(12, "0"), int(period[:4])
    batch = _batched.get()
    if batch is not None:
        batch.add((county, year))
        return
    transaction.on_commit(lambda: _publish(county, year))


@contextmanager
def facts_refresh_batched():
    """Gather the refreshes a batch of money-path work asks for (the demo cycle's hundreds of bank files) and
    rebuild each county's changed years once, at the end."""
    batch: set = set()
    token = _batched.set(batch)
    try:
        yield
    finally:
        _batched.reset(token)
    for county in sorted({c for c, _ in batch}):
        facts_refresh(county_codes=[county], years=sorted(y for c, y in batch if c == county))


def _publish(county: str, year: int) -> None:
    from django.core.cache import cache

    from disbursement.queueing import PublishFailed, task_publish
    from disbursement.supervision.tasks import supervision_facts_refresh

    key = PENDING_KEY.format(county=county, year=year)
    try:
        if not cache.add(key, 1, PENDING_TIMEOUT):
            return
    except (RedisError, OSError):
        # The cache and the broker are the same Redis: don't make the user wait for a publish retry that fails too.
        logger.warning("supervision facts of %s %s not queued (Redis down); the nightly refresh will rebuild them",
                       county, year)
        return
    try:
        delay = getattr(settings, "SUPERVISION_REFRESH_DELAY", REFRESH_DELAY_SECONDS)
        task_publish(supervision_facts_refresh, args=[[county], [year]], countdown=delay)
    except PublishFailed:
        logger.warning("supervision facts of %s %s not queued; the nightly refresh will rebuild them", county, year)
        try:
            cache.delete(key)
        except (RedisError, OSError):
            pass


def facts_refresh_claimed(*, county_codes: list[str], years: list[int]) -> int:
    """The queued refresh: free the pending keys first (a change committed from now on queues a new refresh,
    one committed before is read by this one), then rebuild."""
    from django.core.cache import cache

    try:
        cache.delete_many([PENDING_KEY.format(county=c, year=y) for c in county_codes for y in years])
    except (RedisError, OSError):
        logger.warning("supervision facts: cache unavailable while claiming a refresh")
    return facts_refresh(county_codes=county_codes, years=years)
