"""The register pages: search by part of the name and village (GET) or by whole ID number (POST only), and
one person with masked numbers and the name correction form."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from disbursement.accounts.permissions import action_allowed
from disbursement.errors import DomainError, NotFound, PermissionDenied
from disbursement.registry import selectors, services
from disbursement.registry.models import CardStatus
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


@login_required
def person_detail(request, person_id: int):
    try:
        person = selectors.person_get(actor=request.user, person_id=person_id)
    except NotFound:
        raise Http404 from None
    if request.method == "POST":
        try:
            services.person_rename(actor=request.user, person_id=person.pk, name=request.POST.get("name", ""),
                                   reason=request.POST.get("reason", ""))
        except NotFound:
            raise Http404 from None
        except PermissionDenied:
            raise DjangoPermissionDenied from None
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The name is corrected in the register."))
        return redirect("person-detail", person_id=person.pk)
    return render(request, "registry/person_detail.html", {
        "person": person, "card": person.cards.filter(status=CardStatus.ACTIVE).first(),
        "renames": action_allowed(request.user, "person.rename", check_region=False),
        # Whoever may see the whole numbers (and the clerk who corrects a name) sees the name whole; everyone else
        # sees it masked, as on every page.
        "name_whole": action_allowed(request.user, "person.reveal", check_region=False),
    })
