"""Budget pages: the indicator list, issuing an indicator, and one indicator with its ledger and adjustments.

Every change goes through budget.services (which checks the permission table and writes the audit trail);
the pages only turn form input into its arguments and the services' errors into form errors.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disbursement.accounts.permissions import action_allowed
from disbursement.budget import selectors, services
from disbursement.budget.models import FundingLevel
from disbursement.catalog.models import Item
from disbursement.errors import DomainError, NotFound
from disbursement.money import fen_to_yuan, yuan_to_fen
from disbursement.rosters.models import RosterStatus
from geo.models import Region, RegionLevel


def _amount_fen(text: str) -> int:
    try:
        fen = yuan_to_fen(text)
    except ValueError:
        raise forms.ValidationError(_("Write an amount in yuan with at most two decimals, e.g. 2250.00.")) from None
    if fen <= 0:
        raise forms.ValidationError(_("The amount must be more than zero."))
    return fen


class IssueForm(forms.Form):
    document_number = forms.CharField(label=_("Document number"), min_length=3, max_length=80,
                                      help_text=_("The allocation document, e.g. 湘财社〔2026〕12号"))
    item = forms.ChoiceField(label=_("Subsidy item"))
    county = forms.ChoiceField(label=_("County"))
    fiscal_year = forms.IntegerField(label=_("Fiscal year"), min_value=2000, max_value=2100)
    funding_level = forms.ChoiceField(label=_("Funding level"), choices=FundingLevel.choices)
    amount = forms.CharField(label=_("Amount (yuan)"), max_length=20)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        groups: dict[str, list[tuple[str, str]]] = {}
        for item in Item.objects.filter(is_active=True).select_related("category").order_by("category_id", "code"):
            groups.setdefault(str(item.category), []).append((item.code, f"{item.code} {item.name}"))
        self.fields["item"].choices = [("", "—"), *groups.items()]
        counties = Region.objects.filter(level=RegionLevel.COUNTY)
        if not user.is_superuser:
            counties = counties.within(user.region_id) if user.region_id else counties.none()
        counties = list(counties.order_by("code").values_list("code", "name"))
        self.fields["county"].choices = counties if len(counties) == 1 else [("", "—"), *counties]

    def clean_amount(self):
        return _amount_fen(self.cleaned_data["amount"])


class AdjustForm(forms.Form):
    direction = forms.ChoiceField(label=_("Change"), choices=[("raise", _("Raise")), ("lower", _("Lower"))],
                                  widget=forms.RadioSelect)
    amount = forms.CharField(label=_("By (yuan)"), max_length=20)
    reason = forms.CharField(label=_("Reason (document)"), max_length=200)

    def clean_amount(self):
        return _amount_fen(self.cleaned_data["amount"])


# The services name their fields as the API does; the forms' fields answer for them.
SERVICE_FIELDS = {"amount": "amount", "delta": "amount", "document_number": "document_number", "item": "item",
                  "county": "county", "funding_level": "funding_level", "reason": "reason"}


def _form_error(form: forms.Form, exc: DomainError) -> None:
    field = SERVICE_FIELDS.get(exc.field or "")
    form.add_error(field if field in form.fields else None, exc.message)


def _may_issue(user) -> bool:
    if user.is_superuser:
        return action_allowed(user, "indicator.issue", check_region=False)
    return bool(user.region_id) and action_allowed(user, "indicator.issue", region_code=user.region_id)


@login_required
def indicator_list(request):
    year = request.GET.get("year")
    indicators = selectors.indicator_list(actor=request.user, item=request.GET.get("item") or None,
                                          year=int(year) if year and year.isdigit() else None)
    page = Paginator(indicators, 50).get_page(request.GET.get("page"))
    return render(request, "budget/indicator_list.html", {"page": page, "may_issue": _may_issue(request.user)})


@login_required
def indicator_issue(request):
    """The issue form; a roster short of money links here with item, county, year and the missing amount."""
    if not _may_issue(request.user):
        raise PermissionDenied
    existing = None
    if request.method == "POST":
        form = IssueForm(request.POST, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                indicator = services.indicator_issue(
                    actor=request.user, document_number=data["document_number"], item_code=data["item"],
                    county_code=data["county"], fiscal_year=data["fiscal_year"],
                    funding_level=data["funding_level"], amount_fen=data["amount"],
                )
            except DomainError as exc:
                number = data["document_number"].strip()
                _form_error(form, exc)
                if exc.field == "document_number":
                    # Issued already (a repeated submit, or another document's number): show which one.
                    existing = selectors.indicator_list(actor=request.user).filter(document_number=number).first()
            else:
                messages.success(request, _("Indicator %(number)s issued: %(yuan)s yuan.")
                                 % {"number": indicator.document_number, "yuan": fen_to_yuan(data["amount"])})
                back = request.POST.get("next", "")
                if back.startswith("/rosters/") and back.rstrip("/").split("/")[-1].isdigit():
                    return redirect(back)
                return redirect("indicator-detail", indicator_id=indicator.pk)
    else:
        initial = {"fiscal_year": timezone.localdate().year, "funding_level": FundingLevel.COUNTY}
        for name in ("item", "county"):
            if request.GET.get(name):
                initial[name] = request.GET[name][:12]
        if (request.GET.get("year") or "").isdigit():
            initial["fiscal_year"] = int(request.GET["year"][:4])
        if request.GET.get("amount"):
            initial["amount"] = request.GET["amount"][:20]
        form = IssueForm(initial=initial, user=request.user)
    back = request.POST.get("next") if request.method == "POST" else request.GET.get("next")
    return render(request, "budget/indicator_issue.html", {
        "form": form, "existing": existing,
        "next": back if back and back.startswith("/rosters/") else "",
    })


@login_required
def indicator_detail(request, indicator_id: int):
    """One indicator: balances, every ledger movement, the rosters it funds, and the adjustment form."""
    try:
        indicator = selectors.indicator_get(actor=request.user, indicator_id=indicator_id)
    except NotFound:
        raise Http404 from None
    may_adjust = action_allowed(request.user, "indicator.adjust", region_code=indicator.county_id)
    if request.method == "POST":
        if not may_adjust:
            raise PermissionDenied
        form = AdjustForm(request.POST)
        if form.is_valid():
            delta = form.cleaned_data["amount"] * (1 if form.cleaned_data["direction"] == "raise" else -1)
            try:
                services.indicator_adjust(actor=request.user, indicator_id=indicator.pk, delta_fen=delta,
                                          reason=form.cleaned_data["reason"])
            except NotFound:
                raise Http404 from None
            except DomainError as exc:
                _form_error(form, exc)
            else:
                messages.success(request, _("Indicator adjusted by %(yuan)s yuan.") % {"yuan": fen_to_yuan(delta)})
                return redirect("indicator-detail", indicator_id=indicator.pk)
    else:
        form = AdjustForm(initial={"direction": "raise"})
    rosters = selectors.indicator_rosters(indicator_id=indicator.pk)
    for row in rosters:
        row["status_label"] = RosterStatus(row["roster__status"]).label
    return render(request, "budget/indicator_detail.html", {
        "indicator": indicator, "entries": selectors.indicator_entries(indicator_id=indicator.pk),
        "rosters": rosters, "form": form if may_adjust else None,
    })

