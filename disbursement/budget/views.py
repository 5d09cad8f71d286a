from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from disbursement.budget import selectors


@login_required
def indicator_list(request):
    year = request.GET.get("year")
    indicators = selectors.indicator_list(actor=request.user, item=request.GET.get("item") or None,
                                          year=int(year) if year and year.isdigit() else None)
    page = Paginator(indicators, 50).get_page(request.GET.get("page"))
    return render(request, "budget/indicator_list.html", {"page": page})
