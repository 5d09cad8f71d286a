"""The register pages: search by part of the name and village (GET) or by whole ID number (POST only); one
person with masked numbers and the name correction form; the side registers' page (upload, recent imports,
counts) and an import's outcome."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from disbursement.accounts.permissions import action_allowed
from disbursement.errors import DomainError, NotFound, PermissionDenied
from disbursement.registry import selectors, services, side_imports
from disbursement.registry.models import CardStatus
from disbursement.registry.side_specs import SPECS
from disbursement.rosters.models import ImportKind
from disbursement.rosters.services import import_progress_get
from geo import codes
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


def _person_write(request, run, success) -> dict:
    """Run one of the person page's register services; {field: message} of a refusal, or {} on success."""
    try:
        run()
    except NotFound:
        raise Http404 from None
    except PermissionDenied:
        raise DjangoPermissionDenied from None
    except DomainError as exc:
        return {exc.field or "form": exc.message}
    messages.success(request, success)
    return {}


@login_required
def person_detail(request, person_id: int):
    try:
        person = selectors.person_get(actor=request.user, person_id=person_id)
    except NotFound:
        raise Http404 from None
    errors, form = {}, request.POST.get("form", "rename")
    if request.method == "POST" and form == "village":
        errors = _person_write(request, lambda: services.person_village_correct(
            actor=request.user, person_id=person.pk, village_code=request.POST.get("village", ""),
            group=request.POST.get("group", ""), reason=request.POST.get("reason", "")),
            _("The village is corrected in the register."))
    elif request.method == "POST":
        errors = _person_write(request, lambda: services.person_rename(
            actor=request.user, person_id=person.pk, name=request.POST.get("name", ""),
            reason=request.POST.get("reason", "")), _("The name is corrected in the register."))
        if errors:  # the rename form shows its refusal as a message, as it always has
            messages.error(request, next(iter(errors.values())))
            errors = {}
    if request.method == "POST" and not errors:
        return redirect("person-detail", person_id=person.pk)
    return _person_page(request, person, errors={form: errors} if errors else {},
                        status=400 if errors else 200)


@login_required
def person_reveal(request, person_id: int):
    """The audited reveal of one whole number, shown once in this answer (never in a URL, a message or a cache)."""
    if request.method != "POST":
        return redirect("person-detail", person_id=person_id)
    try:
        person = selectors.person_get(actor=request.user, person_id=person_id)
        field = request.POST.get("field", "")
        value = services.person_reveal(actor=request.user, person_id=person.pk, field=field)
    except NotFound:
        raise Http404 from None
    except PermissionDenied:
        raise DjangoPermissionDenied from None
    response = _person_page(request, person, revealed={"field": field, "value": value})
    response["Cache-Control"] = "no-store"
    return response


def _person_page(request, person, *, errors=None, revealed=None, status=200):
    from disbursement.payments.selectors import person_payments

    user = request.user
    villages = Region.objects.none()
    if action_allowed(user, "person.village", check_region=False):
        # The villages of the person's township (that the clerk reaches): a correction, not a move across the county.
        township = codes.ancestor_codes(person.village_id)[3]
        villages = Region.objects.filter(level=RegionLevel.VILLAGE).within(township)
        if not user.is_superuser:
            villages = villages.within(user.region_id)
        villages = villages.order_by("code")
    return render(request, "registry/person_detail.html", {
        "person": person, "card": person.cards.filter(status=CardStatus.ACTIVE).first(),
        "cards": person.cards.order_by("-status", "-id"),
        "payments": person_payments(actor=user, person_id=person.pk)[:50],
        "members": selectors.household_members(actor=user, person=person),
        "facts": selectors.person_register_facts(actor=user, person=person),
        "renames": action_allowed(user, "person.rename", check_region=False),
        "villages": villages, "errors": errors or {}, "revealed": revealed,
        "reveals": action_allowed(user, "person.reveal", check_region=False),
        # Whoever may see the whole numbers (and the clerk who corrects a name) sees the name whole; everyone else
        # sees it masked, as on every page.
        "name_whole": action_allowed(user, "person.reveal", check_region=False),
    }, status=status)


class RegisterUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("Side register"))
    scope = forms.ChoiceField(label=_("Region the file covers"))
    file = forms.FileField(label=_("Register file (CSV or XLSX)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind, ImportKind(kind).label) for kind in SPECS]
        regions = Region.objects.filter(level__in=side_imports.SCOPE_LEVELS)
        if not user.is_superuser:
            regions = regions.within(user.region_id) if user.region_id else regions.none()
        self.fields["scope"].choices = [(code, f"{name} ({code})")
                                        for code, name in regions.order_by("code").values_list("code", "name")]


@login_required
def register_home(request):
    """Upload a side register; the recent register imports; how many rows each register holds here."""
    may_import = action_allowed(request.user, "register.import", check_region=False)
    form = RegisterUploadForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            job = side_imports.register_import_submit(
                actor=request.user, kind=form.cleaned_data["kind"], scope_code=form.cleaned_data["scope"],
                content=form.cleaned_data["file"], file_name=form.cleaned_data["file"].name)
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("register-import-detail", job_id=job.pk)
    counts = selectors.side_record_counts(actor=request.user)
    return render(request, "registry/register_home.html", {
        "form": form, "may_import": may_import, "imports": selectors.register_import_list(actor=request.user)[:20],
        "counts": [(ImportKind(kind).label, SPECS[kind], counts[kind]) for kind in SPECS],
    })


@login_required
def register_import_detail(request, job_id: int):
    try:
        job = selectors.register_import_get(actor=request.user, job_id=job_id)
    except NotFound:
        raise Http404 from None
    return render(request, "registry/register_import_detail.html",
                  {"job": job, "progress": import_progress_get(job), "errors": job.errors[:200]})
