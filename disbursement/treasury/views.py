"""The statement upload page: a form, and the outcome of the file just sent (accepted counts, or every problem
by row and field). Imports run in the request: a treasury export is a few hundred rows a day."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from disbursement.accounts.permissions import action_allowed
from disbursement.errors import DomainError
from disbursement.treasury import services
from disbursement.treasury.models import TreasuryImport
from disbursement.treasury.statements import COLUMNS


class StatementUploadForm(forms.Form):
    file = forms.FileField(label=_("Treasury statement file (CSV or XLSX)"))


@login_required
def statement_import(request):
    may_import = action_allowed(request.user, "treasury.import", check_region=False)
    form = StatementUploadForm(request.POST or None, request.FILES or None)
    result, status = None, 200
    if request.method == "POST":
        if not may_import:
            status = 403
            form.add_error(None, _("Only county finance and the provincial administrator import treasury "
                                   "statements."))
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = services.statements_import(actor=request.user, content=upload.read(), file_name=upload.name)
            except DomainError as exc:
                status = exc.status
                form.add_error(None, exc.message)
            else:
                status = 200 if result.status == "accepted" else 422
        else:
            status = 422
    imports = TreasuryImport.objects.all() if request.user.is_superuser else TreasuryImport.objects.filter(
        uploaded_by=request.user)
    return render(request, "treasury/import.html", {
        "form": form, "may_import": may_import, "result": result, "columns": COLUMNS,
        "imports": imports.order_by("-created_at")[:20],
    }, status=status)
