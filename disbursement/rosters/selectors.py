from django.db.models import Count, QuerySet, Sum
from django.utils.translation import gettext as _

from disbursement.accounts.scoping import scoped
from disbursement.errors import NotFound
from disbursement.rosters.models import ImportJob, Roster, RosterLine, RosterStatus
from geo import codes


def import_job_get(*, actor, job_id: int) -> ImportJob:
    job = scoped(ImportJob.objects.select_related("item", "township", "roster"), actor, "region").filter(
        pk=job_id).first()
    if job is None:
        raise NotFound(_("Import not found."))
    return job


def import_job_list(*, actor) -> QuerySet[ImportJob]:
    return scoped(ImportJob.objects.select_related("item", "township", "roster"), actor, "region")


def roster_filters_clean(*, actor, params) -> dict:
    """The roster list's filters from a query string; ValidationFailed names the field of a bad value."""
    from disbursement import listing

    return {
        "item": listing.item_clean(params),
        "period": listing.period_clean(params),
        "status": listing.choice_clean(params, "status", RosterStatus.values),
        "township": listing.region_clean(actor, params, "township", level="township"),
        "region": listing.region_clean(actor, params, "region"),
    }


def roster_list(*, actor, item: str | None = None, period: str | None = None, status: str | None = None,
                township: str | None = None, region: str | None = None) -> QuerySet[Roster]:
    rosters = scoped(Roster.objects.select_related("item", "township"), actor, "township")
    if item:
        rosters = rosters.filter(item_id=item)
    if period:
        rosters = rosters.filter(period=period)
    if status:
        rosters = rosters.filter(status=status)
    if township:
        rosters = rosters.filter(township_id=township)
    if region:
        low, high = codes.subtree_bounds(region[:9].ljust(12, "0") if codes.region_level(region) == "village"
                                         else region)
        rosters = rosters.filter(township_id__gte=low, township_id__lte=high)
    return rosters.order_by("-created_at", "-id")


def roster_get(*, actor, roster_id: int) -> Roster:
    roster = scoped(Roster.objects.select_related("item", "township", "created_by"), actor, "township").filter(
        pk=roster_id).first()
    if roster is None:
        raise NotFound(_("Roster not found."))
    return roster


def roster_village_totals(*, roster: Roster) -> list[dict]:
    return list(
        RosterLine.objects.filter(roster=roster)
        .values("village_id", "village__name")
        .annotate(lines=Count("id"), total_fen=Sum("amount_fen"))
        .order_by("village_id")
    )


def roster_lines(*, roster: Roster, village: str | None = None) -> QuerySet[RosterLine]:
    lines = RosterLine.objects.filter(roster=roster).select_related("person", "card", "village")
    if village:
        lines = lines.filter(village_id=village)
    return lines.order_by("row_number")
