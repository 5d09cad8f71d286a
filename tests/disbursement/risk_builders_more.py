"""Builders for the amount, land, assets, fund and trend rule tests: persons, cards, rosters, lines, payments,
bank files and side-register rows written straight through the ORM, each with only the facts a rule reads."""

import itertools
import uuid
from datetime import date, datetime, timedelta

from django.utils import timezone

from disbursement import pii
from disbursement.budget.models import Indicator
from disbursement.payments.models import BankFile, Payment, PaymentStatus
from disbursement.registry.models import (
    Card,
    CardStatus,
    Enterprise,
    Household,
    HouseholdMove,
    LandContract,
    Person,
    Vehicle,
)
from disbursement.rosters.models import Roster, RosterLine, RosterStatus
from tests.factories import card_number, id_number

COUNTY = "430321000000"  # 湘潭县
TOWN = "430321100000"  # 易俗河镇
VILLAGE = "430321100001"
VILLAGES = ["430321100001", "430321100004", "430321100005", "430321100006", "430321100007"]
OTHER_TOWN = "430321102000"  # 谭家山镇
OTHER_VILLAGE = "430321102006"

_serial = itertools.count(1)


def person(*, village: str = VILLAGE, name: str = "张三丰", birth: date = date(1960, 5, 1), household=None,
           card: bool = True, bank: str = "中国农业银行") -> Person:
    number = id_number(prefix=village[:6], birth=birth.strftime("%Y%m%d"), seq=next(_serial) % 1000)
    made = Person.objects.create(name=name, id_hash=pii.blind_index(number), id_cipher=pii.encrypt(number),
                                 id_masked=pii.mask_id(number), sex="M", birth_date=birth, village_id=village,
                                 household=household)
    if card:
        card_of(made, bank=bank)
    return made


def household(*, village: str = VILLAGE) -> Household:
    return Household.objects.create(village_id=village)


def card_of(who: Person, *, bank: str = "中国农业银行", status: str = CardStatus.ACTIVE) -> Card:
    number = card_number()
    return Card.objects.create(person=who, bank=bank, number_hash=pii.blind_index(number),
                               number_cipher=pii.encrypt(number), number_masked=pii.mask_card(number), status=status)


def active_card(who: Person) -> Card:
    return Card.objects.get(person=who, status=CardStatus.ACTIVE)


def roster(*, item: str, period: str, township: str = TOWN, status: str = RosterStatus.VALIDATED) -> Roster:
    return Roster.objects.create(item_id=item, township_id=township, period=period, status=status,
                                 file_sha256=uuid.uuid4().hex, line_count=0, total_fen=0)


def line(of_roster: Roster, who: Person, *, amount_fen: int, quantity_milli: int = 1000, rate_fen: int | None = None,
         village: str | None = None) -> RosterLine:
    rate = rate_fen if rate_fen is not None else amount_fen * 1000 // quantity_milli
    row = RosterLine.objects.filter(roster=of_roster).count() + 2  # row 1 is the file's header
    made = RosterLine.objects.create(roster=of_roster, row_number=row, person=who, card=active_card(who),
                                     village_id=village or who.village_id, quantity_milli=quantity_milli,
                                     rate_fen=rate, amount_fen=amount_fen, item_id=of_roster.item_id,
                                     period=of_roster.period)
    Roster.objects.filter(pk=of_roster.pk).update(line_count=of_roster.lines.count(),
                                                  total_fen=sum(of_roster.lines.values_list("amount_fen", flat=True)))
    return made


def indicator(*, item: str, county: str = COUNTY) -> Indicator:
    found = Indicator.objects.filter(item_id=item, county_id=county).first()
    return found or Indicator.objects.create(document_number=f"湘财〔2026〕{next(_serial)}号", item_id=item,
                                             county_id=county, fiscal_year=2026, funding_level="provincial")


def payment(of_line: RosterLine, *, status: str = PaymentStatus.PAID, amount_fen: int | None = None, bank_file=None,
            card: Card | None = None, settled_at: datetime | None = None, previous=None) -> Payment:
    card = card or of_line.card
    return Payment.objects.create(
        reference=f"P{of_line.roster_id:06d}-{of_line.row_number:06d}-{next(_serial)}", roster_id=of_line.roster_id,
        line=of_line, indicator=indicator(item=of_line.item_id), person_id=of_line.person_id, card=card,
        payee_name=of_line.person.name, card_masked=card.number_masked, bank=card.bank, village_id=of_line.village_id,
        amount_fen=amount_fen or of_line.amount_fen, status=status, bank_file=bank_file, previous=previous,
        settled_at=settled_at)


def bank_file(of_roster: Roster, *, records: int, total_fen: int, returned: bool = True,
              bank: str = "中国农业银行") -> BankFile:
    sequence = BankFile.objects.filter(roster=of_roster, bank=bank).count() + 1
    return BankFile.objects.create(roster=of_roster, bank=bank, sequence=sequence,
                                   file_id=f"OC{of_roster.pk:08d}-{next(_serial)}-{sequence}", content=b"", sha256="",
                                   record_count=records, total_fen=total_fen,
                                   return_sha256="r" if returned else "",
                                   returned_at=timezone.now() if returned else None)


def _register_row(model, who: Person, **fields):
    return model.objects.create(id_hash=who.id_hash, id_masked=who.id_masked, name=who.name, **fields)


def land_contract(who: Person, *, area_milli_mu: int, village: str | None = None, scope: str | None = None):
    return _register_row(LandContract, who, village_id=village or who.village_id, area_milli_mu=area_milli_mu,
                         contract_number=f"HT{next(_serial):08d}", scope_id=scope)


def vehicle(who: Person, *, registered_on: date, vehicle_type: str = "小型轿车", plate: str = "湘C12345"):
    return _register_row(Vehicle, who, plate=plate, vehicle_type=vehicle_type, registered_on=registered_on)


def enterprise(who: Person, *, role: str, name: str = "湘潭某某商贸有限公司"):
    return _register_row(Enterprise, who, enterprise=name, credit_code="91430321MA4L000001", role=role)


def move(who: Person, *, from_code: str, to_code: str, moved_on: date):
    return _register_row(HouseholdMove, who, from_region_id=from_code, to_region_id=to_code, moved_on=moved_on)


def days_ago(days: int) -> datetime:
    return timezone.now() - timedelta(days=days)
