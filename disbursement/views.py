"""Staff pages. Each view parses the request, calls one selector or service, and renders."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from disbursement.accounts import selectors as account_selectors
from disbursement.accounts.permissions import action_allowed
from disbursement.accounts.roles import Role
from disbursement.accounts.scoping import in_jurisdiction
from disbursement.catalog import selectors as catalog_selectors
from disbursement.catalog.models import Item
from disbursement.catalog.standards import StandardInput, band_label, standard_create, standard_label
from disbursement.errors import DomainError, NotFound
from disbursement.money import yuan_to_fen
from disbursement.payments.selectors import payments_stopped
from geo import selectors as geo_selectors
from geo.models import Region


@login_required
def home(request):
    # Supervisors review maps and figures: their desk is their home; the workbench stays at ?workbench=1.
    if request.user.role == Role.SUPERVISOR and "workbench" not in request.GET:
        return redirect("supervision")
    region = request.user.region
    context = {"region": region}
    if region is not None:
        context["path"] = geo_selectors.region_path(region=region)
        context["children"] = geo_selectors.region_children(code=region.code)
    if request.user.role in (Role.SUPERVISOR, Role.COUNTY_FINANCE, Role.PROVINCE_ADMIN):
        context["stopped"] = payments_stopped(actor=request.user)
    return render(request, "disbursement/home.html", context)


@login_required
def user_list(request):
    role = request.GET.get("role") if request.GET.get("role") in Role.values else None
    users = account_selectors.user_list(actor=request.user, role=role, query=request.GET.get("q", "")[:50])
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(request, "disbursement/user_list.html", {"page": page, "roles": Role.choices, "role": role})


@login_required
def user_detail(request, user_id: int):
    try:
        shown = account_selectors.user_get(actor=request.user, user_id=user_id)
    except NotFound:
        raise Http404 from None
    return render(request, "disbursement/user_detail.html", {"shown": shown})


@login_required
def region_detail(request, code: str):
    """Drill-down through the user's own jurisdiction; other regions are not shown here."""
    if not in_jurisdiction(request.user, code):
        raise Http404
    try:
        region = geo_selectors.region_get(code=code)
    except Region.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "disbursement/region_detail.html",
        {
            "region": region,
            # Regions above the user's own are shown as text: their pages answer 404 to this user.
            "path": [(step, in_jurisdiction(request.user, step.code))
                     for step in geo_selectors.region_path(region=region)],
            "children": geo_selectors.region_children(code=code),
        },
    )


@login_required
def item_detail(request, code: str):
    """One item with its standards by region and date (the figures rosters are checked against)."""
    try:
        item = catalog_selectors.item_get(code=code)
    except Item.DoesNotExist:
        raise Http404 from None
    today = timezone.localdate()
    standards = list(catalog_selectors.item_standards(code=item.code))
    for standard in standards:
        standard.in_force = standard.valid_from <= today and (standard.valid_to is None or standard.valid_to >= today)
        standard.band_text = band_label(standard.band) if standard.band else ""
    can_edit = bool(request.user.region_id) and action_allowed(
        request.user, "standard.edit", region_code=request.user.region_id, department=item.department)
    return render(request, "disbursement/item_detail.html", {"item": item, "standards": standards, "today": today,
                                                             "can_edit": can_edit})


@login_required
def item_standard_add(request, code: str):
    """The item page's form: a new standard from its date, set by whoever decides it there (catalog.standards)."""
    if request.method != "POST":
        return redirect("item-detail", code=code)
    form = request.POST
    try:
        valid_from = date.fromisoformat(form.get("valid_from", ""))
        valid_to = date.fromisoformat(form["valid_to"]) if form.get("valid_to") else None
    except ValueError:
        messages.error(request, _("Write the date as YYYY-MM-DD."))
        return redirect("item-detail", code=code)
    try:
        amount_fen = yuan_to_fen(form.get("amount", ""))
    except ValueError:
        messages.error(request, _("Not an amount in yuan with at most two decimals."))
        return redirect("item-detail", code=code)
    entry = StandardInput(item_code=code, region_code=form.get("region", "").strip()[:12], valid_from=valid_from,
                          valid_to=valid_to, amount_fen=amount_fen, band=form.get("band", "")[:20],
                          document=form.get("document", "")[:200])
    try:
        standard = standard_create(actor=request.user, entry=entry)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Standard set: %(standard)s.") % {"standard": standard_label(standard)})
    return redirect("item-detail", code=code)


@login_required
def item_list(request):
    category = request.GET.get("category") or None
    items = catalog_selectors.item_list(category=category, query=request.GET.get("q", "")[:50])
    page = Paginator(items, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "disbursement/item_list.html",
        {"page": page, "categories": catalog_selectors.category_list(), "category": category},
    )
