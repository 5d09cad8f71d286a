"""Resident pages: self-lookup, complaints and their tracking. The pages are static forms; what a resident
types is sent by POST to the JSON API and the (masked) answer is shown by the page's script, so no name or ID
number ever appears in a URL, a server log line or the HTML the server sends."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

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


@require_GET
def language_switch(request, code: str):
    """The portal's language switch: a plain link (the public pages carry no CSRF token, so shared caches may
    keep them), setting the same cookie as Django's set_language and going back to the page it came from."""
    if code not in dict(settings.LANGUAGES):
        raise Http404
    back = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = reverse("portal:lookup")
    response = redirect(back)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, code, max_age=settings.LANGUAGE_COOKIE_AGE,
                        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
                        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                        samesite=settings.LANGUAGE_COOKIE_SAMESITE)
    add_never_cache_headers(response)
    return response
