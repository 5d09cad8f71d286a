"""The login page, with the sign-in throttle of accounts/throttle.py in front of the password check."""

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm

from disbursement.accounts import throttle
from disbursement.errors import DomainError


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuses without checking the password while the account or the client is locked; counts failures.
    `refused` holds the throttle's refusal (429 locked, 503 when the counters cannot be reached)."""

    refused: DomainError | None = None

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        client_ip = self.request.META.get("REMOTE_ADDR") if self.request else None
        try:
            return self._clean_throttled(username, client_ip)
        except DomainError as exc:
            self.refused = exc
            raise forms.ValidationError(exc.message, code=exc.code) from None

    def _clean_throttled(self, username: str, client_ip: str | None):
        throttle.signin_admit(username=username, client_ip=client_ip)
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if self.cleaned_data.get("password"):
                throttle.signin_failed(username=username, client_ip=client_ip)
            raise
        throttle.signin_succeeded(username=username)
        return cleaned


class SignInView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.refused is not None:
            response.status_code = form.refused.status
            if getattr(form.refused, "retry_after", None):
                response["Retry-After"] = str(form.refused.retry_after)
        return response
