import pandas as pd
from django.db import transaction
from django.utils.translation import gettext as _

from disbursement import pii
from disbursement.accounts.permissions import action_check
from disbursement.accounts.scoping import in_jurisdiction
from disbursement.audit.services import audit_record
from disbursement.errors import Conflict, NotFound, ValidationFailed
from disbursement.registry import validators
from disbursement.registry.models import Card, CardStatus, Person
from disbursement.registry.selectors import person_get

REVEALABLE = ("id_number", "card_number", "phone")


def person_reveal(*, actor, person_id: int, field: str) -> str:
    """The whole value of one personal number, for the roles that need it; every reveal is audited."""
    person = person_get(actor=actor, person_id=person_id)
    action_check(actor, "person.reveal", check_region=False)  # person_get answered NotFound out of reach
    if field not in REVEALABLE:
        raise NotFound(_("No such field."))
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


@transaction.atomic
def card_replace(*, actor, person_id: int, card_number: str, bank: str = "") -> Card:
    """Register a person's new card (after a failed payment, a lost or closed card): the old active card is
    closed, the new one becomes the one card; whole numbers are checked exactly as on import."""
    person = person_get(actor=actor, person_id=person_id) if actor is not None else Person.objects.get(pk=person_id)
    action_check(actor, "card.register", check_region=False)  # person_get answered NotFound out of reach
    checked = validators.card_numbers(pd.Series([card_number]))
    code = checked["error"].iloc[0]
    if code:
        raise ValidationFailed(str(validators.ERROR_MESSAGES[f"card.{code}"]), field="card_number")
    number = checked["value"].iloc[0]
    digest = pii.blind_index(number)
    if Card.objects.filter(number_hash=digest).exclude(person=person).exists():
        raise Conflict(_("This card is registered to another person."), field="card_number")
    existing = Card.objects.filter(number_hash=digest, person=person).first()
    Card.objects.filter(person=person, status=CardStatus.ACTIVE).exclude(
        number_hash=digest).update(status=CardStatus.CLOSED)
    if existing:
        Card.objects.filter(pk=existing.pk).update(status=CardStatus.ACTIVE)
        card = existing
    else:
        card = Card.objects.create(person=person, bank=bank or checked["bank"].iloc[0], number_hash=digest,
                                   number_cipher=pii.encrypt(number), number_masked=pii.mask_card(number))
    audit_record(actor=actor, action="card.replace", obj=person, region_code=person.village_id,
                 card=card.number_masked)
    card.refresh_from_db()
    return card


RENAME_REASON_MAX_LENGTH = 200


@transaction.atomic
def person_rename(*, actor, person_id: int, name: str, reason: str) -> Person:
    """Correct a person's name in the register (the township clerk, in jurisdiction), checked by the one name
    rule of the import (`validators.names`), so a roster returned for the name can be uploaded again.

    Payments froze the payee's name when they were approved and keep it; a re-issue takes the new one. The
    audit keeps both names masked, as every page shows them, and the clerk's reason: the audit chain can never
    be rewritten, so it holds no more of a person than the pages do. Renaming to the current name changes
    nothing and records nothing.

    Locks: the person row."""
    person = person_get(actor=actor, person_id=person_id)
    action_check(actor, "person.rename", check_region=False)  # person_get answered NotFound out of reach
    person = Person.objects.select_for_update().get(pk=person.pk)
    checked = validators.names(pd.Series([name]))
    code = checked["error"].iloc[0]
    if code:
        raise ValidationFailed(str(validators.ERROR_MESSAGES[f"name.{code}"]), field="name")
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed(_("Say why the name is corrected (e.g. checked against the ID card)."),
                               field="reason")
    if len(reason) > RENAME_REASON_MAX_LENGTH or not validators.names_printable(reason):
        raise ValidationFailed(_("The reason must be at most %(max)d characters without control characters.")
                               % {"max": RENAME_REASON_MAX_LENGTH}, field="reason")
    new_name = checked["value"].iloc[0]
    old_name = person.name
    if new_name == old_name:
        return person
    Person.objects.filter(pk=person.pk).update(name=new_name)
    audit_record(actor=actor, action="person.rename", obj=person, region_code=person.village_id,
                 old_name=pii.mask_name(old_name), new_name=pii.mask_name(new_name), reason=reason)
    person.refresh_from_db()
    return person


@transaction.atomic
def person_village_correct(*, actor, person_id: int, village_code: str, group: str, reason: str) -> Person:
    """Correct the village (and village group) a person is registered in: the township clerk, from one village of
    the jurisdiction to another. Like a rename, payments keep the village they were approved with; new rosters
    and re-issues use the corrected one. Audited with both villages and the clerk's reason; the same village and
    group again changes nothing and records nothing.

    Locks: the person row."""
    from geo.models import Region, RegionLevel

    person = person_get(actor=actor, person_id=person_id)
    action_check(actor, "person.village", check_region=False)  # person_get answered NotFound out of reach
    person = Person.objects.select_for_update().get(pk=person.pk)
    village = Region.objects.filter(code=str(village_code).strip()[:12], level=RegionLevel.VILLAGE).first()
    if village is None:
        raise ValidationFailed(_("Choose a village."), field="village")
    if not in_jurisdiction(actor, village.code):
        raise ValidationFailed(_("Choose a village of your jurisdiction."), field="village")
    group = " ".join(group.split())
    if len(group) > 60 or not validators.names_printable(group):
        raise ValidationFailed(_("The village group must be at most %(max)d characters without control characters.")
                               % {"max": 60}, field="group")
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed(_("Say why the village is corrected (e.g. checked against the household register)."),
                               field="reason")
    if len(reason) > RENAME_REASON_MAX_LENGTH or not validators.names_printable(reason):
        raise ValidationFailed(_("The reason must be at most %(max)d characters without control characters.")
                               % {"max": RENAME_REASON_MAX_LENGTH}, field="reason")
    if village.code == person.village_id and group == person.group:
        return person
    old_village, old_group = person.village_id, person.group
    Person.objects.filter(pk=person.pk).update(village=village, group=group)
    audit_record(actor=actor, action="person.village", obj=person, region_code=village.code,
                 old_village=old_village, old_group=old_group, new_village=village.code, new_group=group,
                 reason=reason)
    person.refresh_from_db()
    return person
