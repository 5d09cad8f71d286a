"""The demo register and rosters: valid numbers, the requested counties, the same data for a seed, rosters
the real import accepts, and nothing twice."""

import io
import re

import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from stdnum import luhn
from stdnum.cn import ric

from disbursement import pii
from disbursement.catalog.models import Item
from disbursement.catalog.standards import standard_in_force
from disbursement.registry import demo
from disbursement.registry.models import Card, CardStatus, DeathRecord, Household, LandContract, Person, VillageCadre
from disbursement.rosters.models import Roster, RosterLine
from disbursement.rosters.periods import period_bounds
from geo.models import Region, RegionLevel

pytestmark = pytest.mark.django_db

COUNTIES = ("430321", "430382")
SMALL, SEED = 60, 3  # seed 3 gives this small register village cadres too


def generate(tmp_path, households=SMALL, seed=SEED, rosters=False):
    return demo.demo_data_generate(counties=COUNTIES, households=households, seed=seed, rosters=rosters,
                                   roster_dir=tmp_path)


def register_snapshot() -> dict[str, list]:
    """Everything but keys and ciphertexts (fresh nonces each time), in a stable order."""
    persons = [(*row[:-1], sorted(row[-1].items())) for row in Person.objects.values_list(
        "id_hash", "name", "id_masked", "sex", "birth_date", "village_id", "group", "phone_masked", "deceased_on",
        "household__village_id", "household__head__id_hash", "attributes")]
    return {
        "persons": sorted(persons, key=str),
        "households": sorted(Household.objects.values_list("village_id", "group", "head__id_hash"), key=str),
        "cards": sorted(Card.objects.values_list("number_hash", "number_masked", "bank", "status", "person__id_hash"),
                        key=str),
        "land": sorted(LandContract.objects.values_list("id_hash", "contract_number", "area_milli_mu"), key=str),
        "cadres": sorted(VillageCadre.objects.values_list("id_hash", "village_id", "post"), key=str),
        "deaths": sorted(DeathRecord.objects.values_list("id_hash", "died_on", "source"), key=str),
    }


def test_id_numbers_pass_the_check_digit_and_match_the_person(tmp_path):
    generate(tmp_path)
    people = list(Person.objects.values_list("id_cipher", "id_hash", "id_masked", "village_id", "birth_date", "sex"))
    assert len(people) > SMALL
    for cipher, id_hash, masked, village, birth, sex in people:
        number = pii.decrypt(cipher)
        assert re.fullmatch(r"\d{17}[\dX]", number)
        assert ric.calc_check_digit(number) == number[17]  # stdnum ignores the last character it is given
        assert number[:6] == village[:6]
        assert number[6:14] == birth.strftime("%Y%m%d")
        assert int(number[16]) % 2 == (1 if sex == "M" else 0)
        assert id_hash == pii.blind_index(number)
        assert masked == number[:3] + "*" * 11 + number[-4:]


def test_cards_pass_luhn_and_each_person_has_one_active_card(tmp_path):
    generate(tmp_path)
    numbers = [pii.decrypt(cipher) for cipher in Card.objects.values_list("number_cipher", flat=True)]
    assert all(len(number) == 19 and luhn.is_valid(number) for number in numbers)
    assert {number[:6] for number in numbers} <= set(demo.CARD_BANKS)
    active = Card.objects.filter(status=CardStatus.ACTIVE)
    assert active.count() == Person.objects.count() == active.values("person").distinct().count()
    assert Card.objects.filter(status=CardStatus.CLOSED).exists()


def test_everyone_lives_in_a_village_of_the_requested_counties_in_households_with_a_head(tmp_path):
    generate(tmp_path)
    villages = set(Person.objects.values_list("village_id", flat=True))
    assert {code[:6] for code in villages} <= set(COUNTIES)
    assert set(Region.objects.filter(code__in=villages).values_list("level", flat=True)) == {RegionLevel.VILLAGE}
    assert Household.objects.count() == SMALL
    assert not Household.objects.filter(head__isnull=True).exists()
    assert not Person.objects.filter(household__isnull=True).exists()
    sizes = pd.Series(Person.objects.values_list("household_id", flat=True)).value_counts()
    assert sizes.min() >= 1 and sizes.max() <= 6
    for household in Household.objects.select_related("head"):
        assert household.head.household_id == household.pk and household.head.village_id == household.village_id
    deceased = set(Person.objects.filter(deceased_on__isnull=False).values_list("id_hash", "deceased_on"))
    assert deceased and deceased == set(DeathRecord.objects.values_list("id_hash", "died_on"))
    assert LandContract.objects.exists() and VillageCadre.objects.exists()


def test_the_same_seed_on_an_empty_register_gives_the_same_data(tmp_path):
    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        generate(tmp_path)
        first = register_snapshot()
        raise Rollback
    assert not Person.objects.exists()
    generate(tmp_path)
    assert register_snapshot() == first

    villages = demo.demo_villages(COUNTIES)
    one, two = (demo.register_build(villages=villages, households=SMALL, seed=SEED) for _ in range(2))
    pd.testing.assert_frame_equal(one.persons, two.persons)
    pd.testing.assert_frame_equal(one.cards, two.cards)
    other = demo.register_build(villages=villages, households=SMALL, seed=SEED + 1)
    assert not set(other.persons["id_number"]) & set(one.persons["id_number"])


def test_running_again_adds_nothing_and_another_seed_adds_a_second_register_with_its_rosters(tmp_path):
    assert generate(tmp_path, rosters=True).created
    before = register_snapshot(), Roster.objects.count(), RosterLine.objects.count()
    again = generate(tmp_path, rosters=True)
    assert not again.created
    assert {roster.status for roster in again.rosters} == {"skipped"}
    assert (register_snapshot(), Roster.objects.count(), RosterLine.objects.count()) == before
    other = generate(tmp_path, seed=SEED + 1, rosters=True)
    assert other.created and other.rosters and {roster.status for roster in other.rosters} == {"accepted"}
    assert Household.objects.count() == 2 * SMALL


def test_rosters_can_follow_a_register_made_without_them(tmp_path):
    assert generate(tmp_path).created and not Roster.objects.exists()
    later = generate(tmp_path, rosters=True)
    assert not later.created and later.rosters
    assert {roster.status for roster in later.rosters} == {"accepted"}


def test_the_demo_rosters_are_accepted_and_their_totals_are_quantity_times_rate(tmp_path):
    result = generate(tmp_path, households=120, rosters=True)
    assert result.rosters and {roster.status for roster in result.rosters} == {"accepted"}
    items = {roster.item for roster in result.rosters}
    assert len(items) >= 5 and len({code[:2] for code in items}) >= 4
    assert {path.suffix for path in tmp_path.iterdir() if path.is_file()} == {".csv", ".xlsx"}
    for outcome in result.rosters:
        roster = Roster.objects.get(item=outcome.item, township=outcome.township, period=outcome.period)
        item = Item.objects.get(code=outcome.item)
        period_bounds(outcome.period, item.frequency)  # spelled for the item's frequency
        assert outcome.period == demo.PERIODS[item.frequency]
        lines = pd.DataFrame(RosterLine.objects.filter(roster=roster).values(
            "quantity_milli", "rate_fen", "amount_fen", "village_id"))
        expected = (lines["quantity_milli"] * lines["rate_fen"] + 500) // 1000
        assert (lines["amount_fen"] == expected).all()
        assert roster.total_fen == outcome.total_fen == int(expected.sum())
        assert roster.line_count == outcome.rows == len(lines)
        assert lines["village_id"].str.startswith(outcome.township[:9]).all()
        if item.standard_fen is not None:  # the standard in force there at the period's end (湘潭县 has its own)
            end = period_bounds(outcome.period, item.frequency)[1]
            applying = {s.amount_fen for s in standard_in_force(item, outcome.township, end)}
            assert set(lines["rate_fen"]) <= applying
    farmland = [r for r in result.rosters if r.item == "0101"]
    contracted = dict(LandContract.objects.values_list("id_hash", "area_milli_mu"))
    paid = RosterLine.objects.filter(roster__item="0101").values_list("person__id_hash", "quantity_milli")
    assert farmland and all(contracted[id_hash] == quantity for id_hash, quantity in paid)


def test_the_command_prints_counts_and_one_line_per_roster(tmp_path):
    out = io.StringIO()
    call_command("demo_data", "--households", "40", "--seed", "3", "--roster-dir", str(tmp_path), "--register-dir",
                 str(tmp_path / "registers"), "--force", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("created")
    assert re.match(r"households 40, persons \d+, cards \d+, land contracts \d+, village cadres \d+, deaths \d+, "
                    r"rosters \d+", lines[1])
    rosters = [line for line in lines if re.match(r"\d{4} ", line)]
    assert rosters and all(re.search(r"  \d+ rows  \d+\.\d\d yuan  accepted$", line) for line in rosters)

    out = io.StringIO()
    call_command("demo_data", "--households", "40", "--seed", "3", "--no-rosters", "--register-dir",
                 str(tmp_path / "registers"), "--force", stdout=out)
    assert "already present" in out.getvalue() and "yuan" not in out.getvalue()


def test_the_command_refuses_without_debug_and_names_an_unknown_county(tmp_path, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_data", "--households", "5")
    with pytest.raises(CommandError, match="999999"):
        call_command("demo_data", "--counties", "430321,999999", "--households", "5", "--force")
