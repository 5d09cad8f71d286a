import tomllib
from collections import Counter
from datetime import date

import pytest
from django.db import IntegrityError, transaction

from disbursement.catalog.eligibility import eligibility_failures, eligibility_validate
from disbursement.catalog.models import CatalogRelease, Category, Item, Standard
from disbursement.catalog.services import CATALOG_FILE, CatalogFileError, catalog_load, catalog_read

pytestmark = pytest.mark.django_db


def test_the_catalog_holds_14_categories_and_259_items_as_in_the_file():
    data = tomllib.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    assert Category.objects.count() == len(data["categories"]) == 14
    assert Item.objects.filter(is_active=True).count() == len(data["items"]) == 259
    per_category = Counter(entry["category"] for entry in data["items"])
    for category in Category.objects.all():
        assert category.items.count() == per_category[category.code], category.code


def test_reloading_the_same_file_changes_nothing_and_keeps_admin_edits():
    Item.objects.filter(code="0101").update(standard_fen=11000)
    result = catalog_load()
    assert result["status"] == "unchanged"
    assert Item.objects.get(code="0101").standard_fen == 11000
    assert CatalogRelease.objects.count() == 1


def test_a_new_version_updates_items_and_retires_the_ones_it_drops(tmp_path):
    text = CATALOG_FILE.read_text(encoding="utf-8").replace('version = "2023.1"', 'version = "2023.2"', 1)
    start = text.index('code = "0101"')
    block_start = text.rindex("[[items]]", 0, start)
    block_end = text.index("[[items]]", start)
    newer = tmp_path / "catalog.toml"
    newer.write_text(text[:block_start] + text[block_end:], encoding="utf-8")
    result = catalog_load(newer)
    standards = result.pop("standards")
    assert result == {"version": "2023.2", "categories": 14, "items": 258, "retired": 1, "status": "loaded"}
    assert Item.objects.get(code="0101").is_active is False
    # The catalog's own standards are replaced by the new file's: the dropped item has none left.
    assert standards == Standard.objects.filter(from_catalog=True).count()
    assert not Standard.objects.filter(item_id="0101").exists()
    assert Item.objects.filter(is_active=True, catalog_version="2023.2").count() == 258


def test_every_item_has_shares_summing_to_100_and_a_standard_or_a_rule():
    for item in Item.objects.all():
        assert item.share_central + item.share_provincial + item.share_city + item.share_county == 100
        assert (item.standard_fen or 0) > 0 or item.standard_rule


def test_the_database_refuses_shares_that_do_not_sum_to_100():
    with pytest.raises(IntegrityError), transaction.atomic():
        Item.objects.filter(code="0101").update(share_central=90)


def test_elderly_allowance_splits_by_age_band():
    bands = Item.objects.filter(name__startswith="高龄").exclude(eligibility=[])
    ages = sorted(
        (rule.get("min"), rule.get("max")) for item in bands for rule in item.eligibility if rule["rule"] == "age"
    )
    assert (80, 89) in ages and (90, 99) in ages
    assert any(low == 100 for low, _ in ages)


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        ('funding = { central = 100, provincial = 0, city = 0, county = 0 }',
         "item 0101, funding: shares sum to 110%, not 100%"),
        ('department = "agriculture"', "item 0101, department: 'farming' is not one of"),
    ],
)
def test_a_broken_catalog_names_the_item_and_field(tmp_path, replace, message):
    text = CATALOG_FILE.read_text(encoding="utf-8")
    start = text.index('code = "0101"')
    end = text.index("[[items]]", start)
    block = text[start:end]
    assert replace in block
    bad_value = {
        'funding = { central = 100, provincial = 0, city = 0, county = 0 }':
            'funding = { central = 100, provincial = 10, city = 0, county = 0 }',
        'department = "agriculture"': 'department = "farming"',
    }[replace]
    broken = tmp_path / "catalog.toml"
    broken.write_text(text[:start] + block.replace(replace, bad_value) + text[end:], encoding="utf-8")
    with pytest.raises(CatalogFileError, match=message.replace("(", r"\(")):
        catalog_read(broken)


def test_eligibility_rules_are_checked_when_loaded():
    assert eligibility_validate([{"rule": "age", "min": 80, "max": 89}]) == []
    assert eligibility_validate([{"rule": "age"}]) == ["rule 1: an age rule needs min or max"]
    assert eligibility_validate([{"rule": "attribute", "name": "shoe_size"}]) == [
        "rule 1: unknown attribute 'shoe_size'"
    ]
    assert eligibility_validate([{"rule": "region", "codes": ["43031"]}]) == [
        "rule 1: codes must be region code prefixes of 2, 4, 6, 9 or 12 digits"
    ]
    assert eligibility_validate([{"rule": "exec", "code": "1"}])[0].startswith("rule 1: 'rule' must be one of")


def test_eligibility_rules_evaluate_age_region_and_attributes():
    rules = [
        {"rule": "age", "min": 80, "max": 89},
        {"rule": "region", "codes": ["4303"]},
        {"rule": "attribute", "name": "disability_grade", "values": ["1", "2"]},
    ]
    on = date(2026, 11, 26)
    eligible = dict(birth_date=date(1945, 11, 26), region_code="430321100001", attributes={"disability_grade": "2"})
    assert eligibility_failures(rules, on=on, **eligible) == []
    # The day before the 80th birthday does not count yet.
    assert eligibility_failures(rules, on=on, **{**eligible, "birth_date": date(1946, 11, 27)}) == ["age"]
    assert eligibility_failures(rules, on=on, **{**eligible, "region_code": "430121100001"}) == ["region"]
    assert eligibility_failures(rules, on=on, **{**eligible, "attributes": {"disability_grade": 3}}) == [
        "attribute:disability_grade"
    ]
    assert eligibility_failures([{"rule": "attribute", "name": "minimum_living"}], on=on, birth_date=None,
                                region_code=None, attributes={}) == ["attribute:minimum_living"]


def test_catalog_api_filters_and_shows_yuan(client):
    response = client.get("/api/v1/catalog/items", {"category": "01", "limit": 100})
    assert response.status_code == 200
    items = response.json()["items"]
    assert items and all(item["category"]["code"] == "01" for item in items)
    farmland = client.get("/api/v1/catalog/items/0101").json()
    assert farmland["name"] == "耕地地力保护补贴"
    assert farmland["unit"] == "mu"
    assert farmland["standard_yuan"] == "105.00"
    assert sum(farmland["funding_percent"].values()) == 100
    by_department = client.get("/api/v1/catalog/items", {"department": "veterans", "limit": 100}).json()
    assert by_department["count"] > 0
    assert {item["department"] for item in by_department["items"]} == {"veterans"}
    assert client.get("/api/v1/catalog/categories").json()[0]["code"] == "01"
