"""Eligibility rules of a subsidy item, in a small declarative form (a list of dicts, all must hold).

    {"rule": "age", "min": 80, "max": 89}             whole years at the reference date, bounds inclusive
    {"rule": "region", "codes": ["4331", "430321"]}  region code prefixes the person's village lies under
    {"rule": "attribute", "name": "disability_grade", "values": ["1", "2"]}
    {"rule": "attribute", "name": "minimum_living"}  no values: the attribute must be present and truthy

Rules are data, checked by `eligibility_validate` when loaded and evaluated by `eligibility_failures`;
nothing is ever executed.
"""

from collections.abc import Mapping
from datetime import date
from typing import Any

ATTRIBUTES = frozenset(
    {
        "disability_grade", "disability_kind", "minimum_living", "extreme_poverty", "orphan", "veteran_category",
        "student_stage", "family_planning", "land_contract", "forest_land", "reservoir_migrant", "fisherman",
        "village_cadre", "farmer", "household_head", "low_income",
    }
)
_KEYS = {"age": {"rule", "min", "max"}, "region": {"rule", "codes"}, "attribute": {"rule", "name", "values"}}


def eligibility_validate(rules: Any) -> list[str]:
    """Problems with a rule list, in words; empty when the list is well formed."""
    if not isinstance(rules, list):
        return ["eligibility must be a list of rules"]
    problems = []
    for index, rule in enumerate(rules, start=1):
        kind = rule.get("rule") if isinstance(rule, Mapping) else None
        if kind not in _KEYS:
            problems.append(f"rule {index}: 'rule' must be one of {', '.join(_KEYS)}")
            continue
        extra = set(rule) - _KEYS[kind]
        if extra:
            problems.append(f"rule {index}: unknown key(s) {', '.join(sorted(extra))} for a {kind} rule")
        if kind == "age":
            low, high = rule.get("min"), rule.get("max")
            if low is None and high is None:
                problems.append(f"rule {index}: an age rule needs min or max")
            for bound in (low, high):
                if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool) or bound < 0):
                    problems.append(f"rule {index}: age bounds are whole years")
            if isinstance(low, int) and isinstance(high, int) and low > high:
                problems.append(f"rule {index}: min {low} is above max {high}")
        elif kind == "region":
            region_codes = rule.get("codes")
            if not region_codes or not all(
                isinstance(c, str) and c.isdigit() and len(c) in (2, 4, 6, 9, 12) for c in region_codes
            ):
                problems.append(f"rule {index}: codes must be region code prefixes of 2, 4, 6, 9 or 12 digits")
        else:
            if rule.get("name") not in ATTRIBUTES:
                problems.append(f"rule {index}: unknown attribute {rule.get('name')!r}")
            values = rule.get("values")
            if values is not None and (not isinstance(values, list) or not all(isinstance(v, str) for v in values)):
                problems.append(f"rule {index}: values must be a list of strings")
    return problems


def age_on(birth_date: date, on: date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def eligibility_failures(
    rules: list[dict], *, birth_date: date | None, region_code: str | None, attributes: Mapping[str, Any], on: date
) -> list[str]:
    """The rules one person fails, as codes ("age", "region", "attribute:<name>"); empty means eligible."""
    failures = []
    for rule in rules:
        kind = rule["rule"]
        if kind == "age":
            age = age_on(birth_date, on) if birth_date else None
            if age is None or age < rule.get("min", 0) or age > rule.get("max", 200):
                failures.append("age")
        elif kind == "region":
            if not region_code or not any(region_code.startswith(prefix) for prefix in rule["codes"]):
                failures.append("region")
        else:
            value = attributes.get(rule["name"])
            allowed = rule.get("values")
            ok = bool(value) if allowed is None else str(value) in allowed
            if not ok:
                failures.append(f"attribute:{rule['name']}")
    return failures
