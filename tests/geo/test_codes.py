import pytest

from geo import codes


@pytest.mark.parametrize(
    ("code", "level", "prefix"),
    [
        ("430000000000", "province", "43"),
        ("430300000000", "city", "4303"),
        ("430321000000", "county", "430321"),
        ("430321100000", "township", "430321100"),
        ("430321100001", "village", "430321100001"),
    ],
)
def test_level_and_prefix_come_from_the_zero_padding(code, level, prefix):
    assert codes.region_level(code) == level
    assert codes.region_prefix(code) == prefix


def test_ancestors_run_from_province_to_the_region_itself():
    assert codes.ancestor_codes("430321100001") == [
        "430000000000", "430300000000", "430321000000", "430321100000", "430321100001",
    ]


def test_subtree_is_one_code_range():
    assert codes.subtree_bounds("430321000000") == ("430321000000", "430321999999")
    assert codes.is_within("430321100001", "430321000000")
    assert not codes.is_within("430382100001", "430321000000")
    assert codes.is_within("430321000000", "430321000000")


@pytest.mark.parametrize("bad", ["43032110000", "4303211000011", "43032110000x", ""])
def test_malformed_codes_are_refused(bad):
    with pytest.raises(ValueError, match="12 digits"):
        codes.region_level(bad)
