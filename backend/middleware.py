import json
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _

from backend.uploads import body_too_large, upload_too_large_message


class LanguageMiddleware:
    """Simplified Chinese unless the user picked another language (the cookie set by /i18n/setlang/).

    Unlike Django's LocaleMiddleware it ignores the browser's Accept-Language: a clerk's machine with an
    English system must not silently switch the office's working language.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _ in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.supported else settings.LANGUAGE_CODE
        request.LANGUAGE_CODE = language
        with translation.override(language):
            response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


# NUL (PostgreSQL refuses it in text) and the other C0 controls except tab, line feed and carriage return,
# plus DEL: no field of any form or API operation has a use for them, and they hide inside personal numbers.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _has_control(value) -> bool:
    if isinstance(value, str):
        return bool(_CONTROL.search(value))
    if isinstance(value, dict):
        return any(_has_control(key) or _has_control(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_control(item) for item in value)
    return False


class HostileInputMiddleware:
    """Refuses, before any view runs, a body larger than the upload limit (413) and control characters in the
    path, a query parameter, a form field or a JSON string (400), in the project's error shape for the API.

    Runs as process_view, before CsrfViewMiddleware reads the form, so the upload limit applies to the first
    parse of the body. A view marked with `handles_upload_too_large` (the roster upload page) gets the request
    with `request.upload_too_large` set and answers with its own form error.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        request.upload_too_large = body_too_large(length)
        if _has_control(request.path) or _has_control(dict(request.GET.lists())):
            return self._invalid(request)
        if request.upload_too_large:
            # Nothing reads the body after this: not the form, not the CSRF check.
            request._post, request._files = QueryDict(), MultiValueDict()
        elif request.method in ("POST", "PUT", "PATCH"):
            try:
                refused = self._body_check(request)
            except RequestDataTooBig:
                return self._body_too_large(request)
            except (TooManyFieldsSent, TooManyFilesSent, MultiPartParserError):
                return self._refuse(request, 400, "invalid", _("The request's form data cannot be read."))
            if refused is not None:
                return refused
        if request.upload_too_large:
            if request.content_type != "multipart/form-data":
                return self._body_too_large(request)
            if getattr(view_func, "handles_upload_too_large", False):
                # The view only renders its form with the error; no state changes, so no CSRF check needed
                # (and the token may be in the part of the body that was never read).
                return view_func(request, *view_args, **view_kwargs)
            return self._refuse(request, 413, "too_large", upload_too_large_message())
        return None

    def _body_check(self, request):
        if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            fields = dict(request.POST.lists())
            names = [upload.name for upload in request.FILES.values()]
            if not request.upload_too_large and (_has_control(fields) or _has_control(names)):
                return self._invalid(request)
        elif request.content_type == "application/json":
            body = request.body
            if (b"\\u" in body or _CONTROL.search(body.decode("utf-8", "replace"))) and _json_has_control(body):
                return self._invalid(request)
        return None

    def _body_too_large(self, request):
        return self._refuse(request, 413, "too_large",
                            _("The request is larger than the server accepts for a form or JSON body."))

    def _invalid(self, request):
        return self._refuse(request, 400, "invalid",
                            _("The request contains a control character (such as NUL); remove it and try again."))

    @staticmethod
    def _refuse(request, status: int, code: str, message: str):
        if request.path.startswith("/api/"):
            return JsonResponse({"code": code, "message": message}, status=status)
        return render(request, "request_refused.html", {"message": message}, status=status)


def _json_has_control(body: bytes) -> bool:
    try:
        return _has_control(json.loads(body))
    except ValueError:
        return False  # the API answers malformed JSON itself
