"""Resident pages: self-lookup, complaints and their tracking. The pages are static forms; what a resident
types is sent by POST to the JSON API and the (masked) answer is shown by the page's script, so no name or ID
number ever appears in a URL, a server log line or the HTML the server sends."""

from django.shortcuts import render
from django.views.decorators.cache import cache_control

from geo.selectors import province_code


@cache_control(public=True, max_age=300)
def lookup(request):
    return render(request, "portal/lookup.html")


@cache_control(public=True, max_age=300)
def complaint_new(request):
    return render(request, "portal/complaint.html", {
        "payment": request.GET.get("payment", "")[:32], "roster": request.GET.get("roster", "")[:12],
        "region": request.GET.get("region", "")[:12], "kind": "objection" if request.GET.get("roster") else "complaint",
        "province": province_code(),  # where the region picker starts: a resident may complain about any place
    })


@cache_control(public=True, max_age=300)
def complaint_track(request):
    return render(request, "portal/track.html")
