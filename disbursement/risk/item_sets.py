"""Sets of catalog items the rules reason about, by category or item code (disbursement/data/catalog.toml).

Kept as data in one place so every rule that says "means-tested" or "farmland" means the same items.
"""

# 最低生活保障 (04), 特困人员救助供养 (05), 临时救助 (0601–0603, 0607): aid granted on a means test.
MEANS_TESTED_CATEGORIES = ("04", "05")
MEANS_TESTED_ITEMS = ("0601", "0602", "0603", "0607")

# 低保 alone (P2, E1, E2 speak of 低保 recipients).
DIBAO_CATEGORY = "04"

# Decided by village review (民主评议): 低保, 临时救助, 慰问金 — where a cadre's hand is on the scale (C1, C2).
VILLAGE_REVIEW_CATEGORIES = ("04",)
VILLAGE_REVIEW_ITEMS = ("0601", "0602", "0603", "0604", "0607")

# Paid per mu of farmland (L1, L2, L3): the 耕地保护与粮食生产 items whose unit is the mu.
FARMLAND_CATEGORY = "01"
FARMLAND_UNIT = "mu"

# Benefits one person may not hold in the same period (U3): urban and rural 低保, 特困 with 低保.
URBAN_DIBAO_ITEMS = ("0401", "0402", "0403", "0407", "0409")
RURAL_DIBAO_ITEMS = ("0404", "0405", "0406", "0408", "0410")
EXTREME_POVERTY_BASIC_ITEMS = ("0501", "0502", "0503", "0504")
MUTUALLY_EXCLUSIVE: tuple[tuple[tuple[str, ...], tuple[str, ...], str], ...] = (
    (URBAN_DIBAO_ITEMS, RURAL_DIBAO_ITEMS, "城市低保与农村低保"),
    (EXTREME_POVERTY_BASIC_ITEMS, URBAN_DIBAO_ITEMS + RURAL_DIBAO_ITEMS, "特困供养与低保"),
)
