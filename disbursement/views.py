"""Staff pages. Each view parses the request, calls one selector or service, and renders."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render

from disbursement.accounts import selectors as account_selectors
from disbursement.accounts.roles import Role
from disbursement.accounts.scoping import in_jurisdiction
from disbursement.catalog import selectors as catalog_selectors
from disbursement.errors import NotFound
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
            "path": geo_selectors.region_path(region=region),
            "children": geo_selectors.region_children(code=code),
        },
    )


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
