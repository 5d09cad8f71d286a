import csv
from collections import Counter

import pytest
from django.core.management import call_command

from geo import selectors
from geo.models import Region
from geo.services import REGIONS_FILE, RegionFileError, regions_load, regions_read

pytestmark = pytest.mark.django_db


def _file_counts() -> Counter:
    with REGIONS_FILE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    counts = Counter(row["level"] for row in rows)
    counts["statistical"] = sum(row["is_statistical"] == "1" for row in rows)
    return counts


def test_the_database_holds_every_region_of_the_source_file():
    expected = _file_counts()
    for level in ("province", "city", "county", "township", "village"):
        assert Region.objects.filter(level=level).count() == expected[level], level
    assert Region.objects.filter(is_statistical=True).count() == expected["statistical"]


def test_hunan_has_14_cities_and_122_real_counties():
    assert Region.objects.filter(level="city").count() == 14
    assert Region.objects.filter(level="county", is_statistical=False).count() == 122
    assert Region.objects.filter(level="county", is_statistical=True).count() == 12
    assert 1900 < Region.objects.filter(level="township").count() < 2100
    assert 29000 < Region.objects.filter(level="village").count() < 30000


def test_load_reference_prints_the_counts_and_changes_nothing_when_run_again(capsys):
    before = Region.objects.count()
    call_command("load_reference")
    out = capsys.readouterr().out
    expected = _file_counts()
    assert f"cities {expected['city']}" in out
    assert f"townships {expected['township']}" in out
    assert f"villages {expected['village']}" in out
    assert f"statistics-only zones {expected['statistical']}" in out
    assert "retired 0" in out
    assert Region.objects.count() == before


def test_a_renamed_region_is_restored_by_reloading():
    Region.objects.filter(code="430321000000").update(name="改错的名字")
    regions_load()
    assert Region.objects.get(code="430321000000").name == "湘潭县"


def test_every_child_code_lies_in_its_parents_range():
    mismatched = [
        r.code for r in Region.objects.exclude(level="province").only("code", "parent_id")
        if not r.code.startswith(Region(code=r.parent_id).prefix)
    ]
    assert mismatched == []


def test_path_runs_from_province_to_village_in_one_query(django_assert_num_queries):
    village = Region.objects.filter(parent_id="430321100000").first()
    with django_assert_num_queries(1):
        path = selectors.region_path(region=village)
    assert [r.level for r in path] == ["province", "city", "county", "township", "village"]
    assert [r.name for r in path][:4] == ["湖南省", "湘潭市", "湘潭县", "易俗河镇"]


def test_subtree_of_a_county_holds_its_townships_and_villages_only():
    subtree = Region.objects.within("430321000000")
    assert subtree.filter(level="county").count() == 1
    assert subtree.filter(level="township").count() == Region.objects.filter(parent_id="430321000000").count()
    assert not subtree.exclude(code__startswith="430321").exists()


def test_a_broken_region_file_is_refused_with_line_and_field(tmp_path):
    bad = tmp_path / "regions.csv"
    bad.write_text(
        "code,name,level,parent_code,is_statistical\n"
        "430000000000,湖南省,province,,0\n"
        "430300000000,湘潭市,county,430000000000,0\n",
        encoding="utf-8",
    )
    with pytest.raises(RegionFileError, match=r"line 3, level: 'county' but the code 430300000000 is a city"):
        regions_read(bad)


def test_a_child_listed_before_its_parent_is_refused(tmp_path):
    bad = tmp_path / "regions.csv"
    bad.write_text(
        "code,name,level,parent_code,is_statistical\n"
        "430000000000,湖南省,province,,0\n"
        "430321000000,湘潭县,county,430300000000,0\n",
        encoding="utf-8",
    )
    with pytest.raises(RegionFileError, match="line 3, parent_code"):
        regions_read(bad)
