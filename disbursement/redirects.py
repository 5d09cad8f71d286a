"""Where a page may send the browser next: only back into this site, whatever a form's `next` says."""

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def next_url_safe(request: HttpRequest, url: str | None) -> bool:
    """True for a URL on this host (relative, or absolute with an allowed host and, on HTTPS, HTTPS);
    false for off-site and scheme-relative (`//evil.example`) addresses."""
    return bool(url) and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                                         require_https=request.is_secure())


def redirect_next(request: HttpRequest, fallback: str, *args, **kwargs) -> HttpResponseRedirect:
    """Redirect to the request's `next` (POST, then GET) when it stays on this site, else to `fallback`
    (a URL name with its arguments)."""
    url = request.POST.get("next") or request.GET.get("next")
    if next_url_safe(request, url):
        return HttpResponseRedirect(url)  # not redirect(): a bare word would be looked up as a URL name
    return redirect(fallback, *args, **kwargs)
