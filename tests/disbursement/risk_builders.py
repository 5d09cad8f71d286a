"""Builders for risk rule tests: persons, cards, rosters, lines, payments and side register rows, written straight
through the ORM (a rule reads tables, not how they were filled)."""

import itertools
from datetime import UTC, date, datetime, time

from disbursement import pii
from disbursement.budget.models import Indicator
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.registry.models import (
    Card,
    DeathRecord,
    Household,
    HouseholdMove,
    PayrollRecord,
    Pension,
    Person,
    VillageCadre,
)
from disbursement.rosters.models import Roster, RosterApproval, RosterLine, RosterStatus
from tests.factories import card_number, id_number

YISUHE_VILLAGE = "430321100001"  # a village of 易俗河镇
YISUHE_VILLAGE_2 = "430321100004"
TANJIASHAN_VILLAGE = "430321102006"  # a village of 谭家山镇, same county
QINGXI_VILLAGE = "430382100001"  # a village of 清溪镇, 韶山市

_serial = itertools.count(1)


def township_of(village: str) -> str:
    return village[:9] + "000"


def household(village: str = YISUHE_VILLAGE) -> Household:
    return Household.objects.create(village_id=village)


def person(name: str = "张三", *, village: str = YISUHE_VILLAGE, born: date = date(1960, 5, 1), home=None,
           id_no: str | None = None, deceased_on: date | None = None) -> Person:
    id_no = id_no or id_number(birth=born.strftime("%Y%m%d"))
    found = Person.objects.create(
        name=name, id_hash=pii.blind_index(id_no), id_cipher=pii.encrypt(id_no), id_masked=pii.mask_id(id_no),
        sex="M", birth_date=born, village_id=village, household=home, deceased_on=deceased_on)
    found.id_number = id_no  # kept on the instance for side register rows; never stored in clear
    return found


def card(owner: Person) -> Card:
    number = card_number()
    return Card.objects.create(person=owner, number_hash=pii.blind_index(number), number_cipher=pii.encrypt(number),
                               number_masked=pii.mask_card(number), status="closed" if owner.cards.filter(
                                   status="active").exists() else "active")


def roster(item: str = "0401", *, township: str = "430321100000", period: str = "2026-03",
           status: str = RosterStatus.SETTLED, created_by=None) -> Roster:
    return Roster.objects.create(item_id=item, township_id=township, period=period, status=status,
                                 file_sha256=f"{next(_serial):064d}", line_count=0, total_fen=0,
                                 created_by=created_by)


def line(of: Roster, payee: Person, *, amount_fen: int = 50_000, quantity_milli: int = 1000,
         on_card: Card | None = None, is_void: bool = False, village: str | None = None) -> RosterLine:
    on_card = on_card or payee.cards.order_by("id").first() or card(payee)
    row = of.lines.count() + 2  # row 1 is the header, as import_roster counts
    return RosterLine.objects.create(roster=of, row_number=row, person=payee, card=on_card,
                                     village_id=village or payee.village_id, quantity_milli=quantity_milli,
                                     rate_fen=amount_fen, amount_fen=amount_fen, is_void=is_void, item_id=of.item_id,
                                     period=of.period)


def indicator(item: str) -> Indicator:
    return Indicator.objects.get_or_create(document_number=f"湘财测〔2026〕{item}号", defaults={
        "item_id": item, "county_id": "430321000000", "fiscal_year": 2026, "funding_level": "provincial"})[0]


def payment(of: RosterLine, *, status: str = PaymentStatus.PAID, settled_on: date | None = date(2026, 3, 10),
            payee_name: str | None = None, on_card: Card | None = None, previous=None) -> Payment:
    on_card = on_card or of.card
    settled_at = datetime.combine(settled_on, time(10, 0), tzinfo=UTC) if settled_on else None
    return Payment.objects.create(
        reference=f"RISK{next(_serial):010d}", roster_id=of.roster_id, line=of, indicator=indicator(of.item_id),
        person_id=of.person_id, card=on_card, payee_name=payee_name or of.person.name,
        card_masked=on_card.number_masked, village_id=of.village_id, amount_fen=of.amount_fen, status=status,
        settled_at=settled_at if status == PaymentStatus.PAID else None, previous=previous)


def paid_line(of: Roster, payee: Person, **kwargs) -> tuple[RosterLine, Payment]:
    settled_on = kwargs.pop("settled_on", date(2026, 3, 10))
    made = line(of, payee, **kwargs)
    return made, payment(made, settled_on=settled_on)


def _side(model, who: Person, **fields):
    return model.objects.create(id_hash=pii.blind_index(who.id_number), id_masked=pii.mask_id(who.id_number),
                                name=who.name, **fields)


def death(who: Person, died_on: date, source: str = "民政殡葬"):
    return _side(DeathRecord, who, died_on=died_on, source=source)


def payroll(who: Person, *, employer: str = "县教育局", start: date | None = None, end: date | None = None):
    return _side(PayrollRecord, who, employer=employer, start=start, end=end)


def pension(who: Person, monthly_fen: int, start: date | None = None):
    return _side(Pension, who, monthly_fen=monthly_fen, start=start)


def cadre(who: Person, *, village: str = YISUHE_VILLAGE, post: str = "村委会主任", term_start=None, term_end=None):
    return _side(VillageCadre, who, village_id=village, post=post, term_start=term_start, term_end=term_end)


def move(who: Person, *, moved_on: date, from_code: str = QINGXI_VILLAGE, to_code: str = YISUHE_VILLAGE):
    return _side(HouseholdMove, who, from_region_id=from_code, to_region_id=to_code, moved_on=moved_on)


def approval(of: Roster, actor, action: str = "township_approve"):
    return RosterApproval.objects.create(roster=of, action=action, from_status=RosterStatus.PUBLICITY,
                                         to_status=RosterStatus.TOWNSHIP_APPROVED, actor=actor)


def linked(user, who: Person):
    """The administrator's link from a user to their record in the register (rule C3 reads it)."""
    user.person = who
    user.save(update_fields=["person"])
    return user
