from django.utils.translation import gettext as _

from disbursement import pii
from disbursement.accounts.roles import Role
from disbursement.audit.services import audit_record
from disbursement.errors import NotFound, PermissionDenied
from disbursement.registry.models import Card, CardStatus
from disbursement.registry.selectors import person_get

# Who sees a whole personal number: the clerk who pays the person and the county finance office that
# answers to the bank. Everyone else works with masks.
REVEAL_ROLES = frozenset({Role.TOWNSHIP_CLERK, Role.COUNTY_FINANCE})
REVEALABLE = ("id_number", "card_number", "phone")


def person_reveal(*, actor, person_id: int, field: str) -> str:
    """The whole value of one personal number, for the roles that need it; every reveal is audited."""
    if actor.role not in REVEAL_ROLES:
        raise PermissionDenied(_("Your role sees personal numbers masked only."))
    if field not in REVEALABLE:
        raise NotFound(_("No such field."))
    person = person_get(actor=actor, person_id=person_id)
    if field == "id_number":
        value = pii.decrypt(person.id_cipher)
    elif field == "phone":
        if not person.phone_cipher:
            raise NotFound(_("No phone number registered."))
        value = pii.decrypt(person.phone_cipher)
    else:
        card = Card.objects.filter(person=person, status=CardStatus.ACTIVE).first()
        if card is None:
            raise NotFound(_("No active card registered."))
        value = pii.decrypt(card.number_cipher)
    audit_record(actor=actor, action="pii.reveal", obj=person, region_code=person.village_id, field=field)
    return value
