"""The login page, with the sign-in throttle of accounts/throttle.py in front of the password check."""

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm

from disbursement.accounts import throttle
from disbursement.errors import RateLimited


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuses without checking the password while the account or the client is locked; counts failures."""

    rate_limited: RateLimited | None = None

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        client_ip = self.request.META.get("REMOTE_ADDR") if self.request else None
        try:
            throttle.signin_admit(username=username, client_ip=client_ip)
        except RateLimited as exc:
            self.rate_limited = exc
            raise forms.ValidationError(exc.message, code="rate_limited") from None
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
        if form.rate_limited is not None:
            response.status_code = 429
            response["Retry-After"] = str(form.rate_limited.retry_after)
        return response
