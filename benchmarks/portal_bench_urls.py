"""The project's URLs plus /bare/lookup: a bare django-ninja endpoint doing one indexed lookup (the baseline)."""

from django.urls import path
from ninja import NinjaAPI, Schema

from backend.urls import urlpatterns as project_urls
from disbursement import pii
from disbursement.registry.models import Person

bare = NinjaAPI(urls_namespace="bare", docs_url=None, openapi_url=None)


class LookupIn(Schema):
    name: str
    id_number: str


@bare.post("/lookup", auth=None)
def bare_lookup(request, payload: LookupIn):
    person = Person.objects.filter(id_hash=pii.blind_index(payload.id_number.strip().upper())).values(
        "id", "id_masked").first()
    return {"found": person is not None, "id_masked": person["id_masked"] if person else None}


urlpatterns = [path("bare/", bare.urls), *project_urls]
