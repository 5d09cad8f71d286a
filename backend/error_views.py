"""Error pages in the site's layout and the page's language (400, 403 — CSRF failures too —, 404, 500).

Django's own 400 and 500 handlers render their template without the request, so the layout could not show
who is signed in or the language switch; these render with it. The 500 page falls back to a request-less
render: whatever broke (the database, the session store) may break the layout's look-ups too.
"""

import logging

from django.http import HttpResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)


def _page(request, status: int, title: str, message: str) -> HttpResponse:
    return render(request, "error.html", {"status": status, "title": title, "message": message}, status=status)


@requires_csrf_token
def bad_request(request, exception=None):
    return _page(request, 400, _("The request could not be understood"),
                 _("Something in the request was malformed. Go back, check what you entered and try again."))


@requires_csrf_token
def permission_denied(request, exception=None):
    return _page(request, 403, _("Not allowed"),
                 _("Your role or your region does not allow this. Ask your administrator if you need it."))


@requires_csrf_token
def page_not_found(request, exception=None):
    return _page(request, 404, _("Page not found"),
                 _("There is no such page, or it lies outside your jurisdiction. Check the address or start from "
                   "the workbench."))


def csrf_failure(request, reason=""):
    """A form sent without a valid security token: most often a page left open past the session, or cookies
    blocked. Saying so lets the user fix it by reloading; Django's own page is English and technical."""
    return _page(request, 403, _("The form has expired"),
                 _("The page was open too long or your browser refused the cookie. Reload the page and send the "
                   "form again."))


@requires_csrf_token
def server_error(request):
    context = {"status": 500, "title": _("Something went wrong on the server"),
               "message": _("The error has been recorded. Try again in a moment; if it keeps happening, tell "
                            "your administrator the time it happened.")}
    try:
        return render(request, "error.html", context, status=500)
    except Exception:  # the layout needs the session and the database, which may be what failed
        logger.exception("error page could not render with the request")
        return HttpResponse(loader.get_template("error.html").render(context), status=500)
