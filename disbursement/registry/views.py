"""The register search page: by part of the name and village (GET), or by whole ID number (POST only)."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from disbursement.registry import selectors
from geo.models import Region, RegionLevel


@login_required
def person_search(request):
    villages = Region.objects.none()
    if request.user.region_id:
        villages = Region.objects.filter(level=RegionLevel.VILLAGE).within(request.user.region_id)
    village = request.GET.get("village") or None
    if village and not villages.filter(code=village).exists():
        village = None
    found_by_id = None
    searched_id = request.method == "POST"
    if searched_id:
        found_by_id = selectors.person_by_id_number(actor=request.user, id_number=request.POST.get("id_number", ""))
    query = request.GET.get("q", "")[:20]
    persons = selectors.person_search(actor=request.user, query=query, village=village)
    page = Paginator(persons, 50).get_page(request.GET.get("page"))
    return render(request, "registry/person_search.html", {
        "page": page, "villages": villages.order_by("code")[:2000], "village": village, "q": query,
        "searched_id": searched_id, "found_by_id": found_by_id,
    })
