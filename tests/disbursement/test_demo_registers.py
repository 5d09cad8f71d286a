"""The demo's side-register files: every register per demo county with the catalogue's columns, the
register's own deaths, cadres and land in them, and planted anomalies that name people the demo rosters pay."""

import pandas as pd
import pytest

from disbursement.registry import demo
from disbursement.registry.demo_registers import DIBAO_ITEMS, FARMLAND_ITEM, REGISTER_COLUMNS, demo_payees

pytestmark = pytest.mark.django_db

COUNTIES = ("430321", "430382")


def register_rows(files: dict[str, pd.DataFrame], kind: str) -> pd.DataFrame:
    return pd.concat([frame for name, frame in files.items() if name.startswith(kind + "_")])


@pytest.fixture
def generated(tmp_path):
    result = demo.demo_data_generate(counties=COUNTIES, households=400, seed=3, rosters=False,
                                     roster_dir=tmp_path / "rosters", registers_dir=tmp_path / "registers")
    files = {path.name: pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
             for path in result.register_files}
    register = demo.register_build(villages=demo.demo_villages(COUNTIES), households=400, seed=3)
    return result, files, register


def test_every_register_is_written_per_county_with_the_catalogue_columns(generated):
    result, files, _register = generated
    # One file per register and county that has rows of it (a small register has no deaths in some county).
    assert {name.split("_")[0] for name in files} == set(REGISTER_COLUMNS)
    assert {name.split("_")[1] for name in files} == {f"{county}.csv" for county in COUNTIES}
    for name, frame in files.items():
        assert tuple(frame.columns) == REGISTER_COLUMNS[name.split("_")[0]]
        assert len(frame) > 0
    deaths = register_rows(files, "deaths")
    assert len(deaths) == result.counts["deaths"] + sum(p.register == "deaths" for p in result.planted)


def test_planted_anomalies_span_several_families_and_name_people_the_rosters_pay(generated):
    result, files, register = generated
    rules = {p.rule for p in result.planted}
    assert {"D2", "P1", "C1", "E1", "L1", "L2"} <= rules
    assert len({rule[0] for rule in rules}) >= 5  # death, payroll/pension, cadre, assets, land families
    payees = demo_payees(register, demo.demo_villages(COUNTIES))
    dibao = set(payees.loc[payees["item"].isin(DIBAO_ITEMS), "person"])
    for planted in result.planted:
        id_number = register.persons.at[planted.person, "id_number"]
        rows = register_rows(files, planted.register)
        if planted.rule == "L2":  # planted by leaving the contract out
            assert id_number not in set(rows["身份证号"])
            continue
        assert id_number in set(rows["身份证号"]), planted
        if planted.rule in ("D2", "P1", "C1", "E1", "E2", "P2", "C4", "E3"):
            assert planted.person in dibao, planted
    smaller = next(p for p in result.planted if p.rule == "L1")
    land = register_rows(files, "land").set_index("身份证号")
    paid = payees[(payees["item"] == FARMLAND_ITEM) & (payees["person"] == smaller.person)]["quantity_milli"].iloc[0]
    contracted = land.at[register.persons.at[smaller.person, "id_number"], "承包面积(亩)"]
    assert float(contracted) * 1000 < paid
