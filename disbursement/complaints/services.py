"""Complaints and objections: submitted by the public, answered by the staff of the region they concern."""

import re
import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.redaction import redact_text
from disbursement import pii
from disbursement.accounts.permissions import action_check
from disbursement.audit.services import audit_record
from disbursement.complaints.models import OPEN_STATUSES, Complaint, ComplaintKind, ComplaintStatus
from disbursement.errors import Conflict, NotFound, ValidationFailed
from disbursement.payments.models import Payment
from disbursement.rosters.models import Roster, RosterStatus
from geo import codes
from geo.models import Region

# Crockford's base32 without I, L, O, U: nothing a resident could misread when copying the number down.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TRACKING_PREFIX = "TS"
TRACKING_LENGTH = 10  # 50 random bits: not guessable, and short enough to read over the phone
TRACKING_RE = re.compile(rf"^{TRACKING_PREFIX}[{_ALPHABET}]{{{TRACKING_LENGTH}}}$")

CHOSEN_REGION_LEVELS = frozenset({"county", "township", "village"})
SUBJECT_MAX = 2000
ANSWER_MAX = 4000
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def tracking_number_new() -> str:
    return TRACKING_PREFIX + "".join(secrets.choice(_ALPHABET) for _i in range(TRACKING_LENGTH))


def tracking_number_normalise(value: str) -> str:
    return re.sub(r"[\s-]", "", value or "").upper()


def _refuse_personal_numbers(text: str, *, field: str) -> None:
    # The same patterns that scrub logs: a whole ID, card or phone number has no place in free text that
    # staff read and residents see again.
    if redact_text(text) != text:
        raise ValidationFailed(
            _("Please do not write a whole ID, card or phone number here; the last four digits are enough."),
            field=field)


def _phone_normalise(value: str) -> str:
    phone = re.sub(r"[\s-]", "", value)
    phone = re.sub(r"^(?:\+86|0086|86)(?=1\d{10}$)", "", phone)
    if not _PHONE_RE.match(phone):
        raise ValidationFailed(_("Enter an 11-digit mobile number, or leave it empty."), field="contact_phone")
    return phone


def _region_for(*, region_code: str | None, payment: Payment | None, roster: Roster | None) -> str:
    """The payment's village, else the roster's township, else the region the resident chose."""
    if payment is not None:
        return payment.village_id
    if roster is not None:
        return roster.township_id
    if not region_code:
        raise ValidationFailed(_("Choose the village, township or county the complaint concerns."),
                               field="region_code")
    try:
        level = codes.region_level(region_code)
    except ValueError:
        level = None
    if level not in CHOSEN_REGION_LEVELS or not Region.objects.filter(code=region_code).exists():
        raise ValidationFailed(_("Choose a county, township or village."), field="region_code")
    return region_code


@transaction.atomic
def complaint_submit(*, kind: str, subject: str, region_code: str | None = None,
                     payment_reference: str | None = None, roster_id: int | None = None,
                     contact_name: str = "", contact_phone: str = "") -> Complaint:
    """Record a complaint or an objection from the public and return it with its tracking number. An objection
    locks its roster's row (the only row it locks) while it checks the roster is in publicity and is saved."""
    if kind not in ComplaintKind.values:
        raise ValidationFailed(_("Unknown kind of complaint."), field="kind")
    subject = (subject or "").strip()
    if not subject:
        raise ValidationFailed(_("Describe the matter."), field="subject")
    if len(subject) > SUBJECT_MAX:
        raise ValidationFailed(_("Keep the description under %(n)d characters.") % {"n": SUBJECT_MAX},
                               field="subject")
    _refuse_personal_numbers(subject, field="subject")
    contact_name = (contact_name or "").strip()
    if len(contact_name) > 50:
        raise ValidationFailed(_("The contact name is too long."), field="contact_name")
    _refuse_personal_numbers(contact_name, field="contact_name")
    phone = _phone_normalise(contact_phone) if (contact_phone or "").strip() else ""

    payment = None
    if payment_reference:
        payment = Payment.objects.filter(reference=payment_reference.strip()).only(
            "pk", "village_id", "roster_id").first()
        if payment is None:
            raise ValidationFailed(_("No payment has this reference; check it on your notice or bank slip."),
                                   field="payment_reference")
    roster = None
    if roster_id is not None:
        roster = Roster.objects.filter(pk=roster_id).only("pk", "township_id", "status").first()
        if roster is None:
            raise ValidationFailed(_("No roster has this number."), field="roster_id")
    if payment is not None and roster is not None and payment.roster_id != roster.pk:
        raise ValidationFailed(_("This payment is not on that roster."), field="payment_reference")
    if kind == ComplaintKind.OBJECTION:
        if roster is None and payment is not None:
            roster = Roster.objects.only("pk", "township_id", "status").get(pk=payment.roster_id)
        if roster is None:
            raise ValidationFailed(_("An objection must name the roster in publicity it objects to."),
                                   field="roster_id")
        # Locked until the objection is saved: township approval locks the same row before it counts open
        # objections, so an objection is either counted or refused, never slipped in behind the approval.
        roster = Roster.objects.select_for_update(no_key=True).only("pk", "township_id", "status").get(pk=roster.pk)
        if roster.status != RosterStatus.PUBLICITY:
            raise ValidationFailed(
                _("This roster is not in publicity; objections are taken only during publicity. "
                  "You may still submit a complaint."), field="roster_id")

    complaint = Complaint(
        kind=kind, subject=subject, contact_name=contact_name,
        contact_phone_cipher=pii.encrypt(phone) if phone else "",
        contact_phone_masked=pii.mask_phone(phone) if phone else "",
        region_id=_region_for(region_code=region_code, payment=payment, roster=roster),
        payment=payment, roster=roster,
    )
    # No audit event here: the row is its own record, and a public form must not take the audit chain's lock.
    for _attempt in range(5):
        complaint.tracking_number = tracking_number_new()
        try:
            # The unique constraint decides; a savepoint keeps a collision from spoiling an outer transaction.
            with transaction.atomic():
                complaint.save(force_insert=True)
            return complaint
        except IntegrityError:
            if not Complaint.objects.filter(tracking_number=complaint.tracking_number).exists():
                raise  # not a collision
    raise Conflict(_("Could not allocate a tracking number; please submit again."))


def complaint_answer(*, actor, complaint_id: int, answer: str) -> Complaint:
    """Answer a complaint in the actor's jurisdiction, once: a second answer is refused, not overwritten."""
    action_check(actor, "complaint.answer", check_region=False)
    answer = (answer or "").strip()
    if not answer:
        raise ValidationFailed(_("Write the answer."), field="answer")
    if len(answer) > ANSWER_MAX:
        raise ValidationFailed(_("Keep the answer under %(n)d characters.") % {"n": ANSWER_MAX}, field="answer")
    # The resident reads the answer with nothing but the tracking number.
    _refuse_personal_numbers(answer, field="answer")
    with transaction.atomic():
        complaint = Complaint.objects.filter(pk=complaint_id).first()
        if complaint is None:
            raise NotFound(_("Complaint not found."))
        action_check(actor, "complaint.answer", region_code=complaint.region_id, not_found=_("Complaint not found."))
        # Conditional update on the open statuses: of two answers sent at once, exactly one lands.
        answered_at = timezone.now()
        updated = Complaint.objects.filter(pk=complaint.pk, status__in=OPEN_STATUSES).update(
            status=ComplaintStatus.ANSWERED, answer=answer, answered_by=actor, answered_at=answered_at)
        if not updated:
            raise Conflict(_("This complaint has already been answered."))
        complaint.refresh_from_db()
        audit_record(actor=actor, action="complaint.answer", obj=complaint, region_code=complaint.region_id,
                     kind=complaint.kind)
    return complaint

