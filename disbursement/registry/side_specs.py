"""What a side-register file looks like: per kind, its columns (Chinese header and English alias), what each
column holds, and where the value goes in the register's table. MONITORING.md "Side registers" is the source.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from disbursement.registry.models import SIDE_REGISTERS, EnterpriseRole
from disbursement.registry.tabular import alias_table


@dataclass(frozen=True)
class Column:
    name: str  # canonical name: the English alias, and the `field` of its errors
    headers: tuple[str, ...]  # Chinese headers (and variants) a file may use
    kind: str  # text, id, date, village, region, area, yuan, role, credit_code
    required: bool = True  # the column must be present (and, for most kinds, filled)
    max_length: int = 0  # text
    not_future: bool = False  # date
    target: str = ""  # the model's column, when it differs from `name`


@dataclass(frozen=True)
class RegisterSpec:
    kind: str
    columns: tuple[Column, ...]
    # In-file duplicates of this key (canonical names; "id_hash" is the person) are errors; `unique_key` is
    # also unique across scopes in the table, so rows of another scope with the same key are errors too.
    duplicate_key: tuple[str, ...] = ()
    unique_across_scopes: bool = False
    date_order: tuple[str, str] | None = None  # (start, end): end may not be before start
    region_columns: tuple[str, ...] = field(default=())  # must lie inside the scope (any one of them, for moves)

    @property
    def model(self):
        return SIDE_REGISTERS[self.kind]

    @property
    def aliases(self) -> dict[str, str]:
        return alias_table({column.name: list(column.headers) for column in self.columns})

    @property
    def required(self) -> dict[str, str]:
        return {column.name: column.headers[0] for column in self.columns if column.required}


NAME = Column("name", ("姓名",), "text", max_length=50)
ID_NUMBER = Column("id_number", ("身份证号", "身份证号码", "公民身份号码", "证件号码"), "id")
VILLAGE = Column("village_code", ("村(社区)代码", "村代码", "村(社区)编码"), "village", target="village_id")

SPECS: dict[str, RegisterSpec] = {spec.kind: spec for spec in (
    RegisterSpec("deaths", (
        NAME, ID_NUMBER,
        Column("died_on", ("死亡日期",), "date", not_future=True),
        Column("source", ("来源",), "text", required=False, max_length=100),
    ), duplicate_key=("id_hash",)),
    RegisterSpec("cadres", (
        NAME, ID_NUMBER, VILLAGE,
        Column("post", ("职务",), "text", max_length=60),
        Column("term_start", ("任职起", "任职开始日期"), "date", required=False, not_future=True),
        Column("term_end", ("任职止", "任职结束日期"), "date", required=False),
    ), duplicate_key=("id_hash", "village_code", "post"), unique_across_scopes=True,
        date_order=("term_start", "term_end"), region_columns=("village_code",)),
    RegisterSpec("land", (
        NAME, ID_NUMBER, VILLAGE,
        Column("contract_number", ("承包合同号", "合同号", "承包合同编号"), "text", max_length=60),
        Column("area_mu", ("承包面积(亩)", "承包面积"), "area", target="area_milli_mu"),
    ), duplicate_key=("contract_number",), unique_across_scopes=True, region_columns=("village_code",)),
    RegisterSpec("payroll", (
        NAME, ID_NUMBER,
        Column("employer", ("单位", "工作单位"), "text", max_length=120),
        Column("start", ("起", "起始日期"), "date", required=False, not_future=True),
        Column("end", ("止", "终止日期"), "date", required=False),
    ), date_order=("start", "end")),
    RegisterSpec("vehicles", (
        NAME, ID_NUMBER,
        Column("plate", ("号牌", "号牌号码", "车牌号"), "text", max_length=16),
        Column("vehicle_type", ("车辆类型",), "text", max_length=40),
        Column("registered_on", ("登记日期", "注册登记日期"), "date", not_future=True),
    )),
    RegisterSpec("enterprises", (
        NAME, ID_NUMBER,
        Column("enterprise", ("企业名称",), "text", max_length=200),
        Column("credit_code", ("统一社会信用代码",), "credit_code"),
        Column("role", ("角色",), "role"),
    )),
    RegisterSpec("pensions", (
        NAME, ID_NUMBER,
        Column("monthly_yuan", ("月养老金", "月养老金(元)"), "yuan", target="monthly_fen"),
        Column("start", ("起", "起始日期"), "date", required=False, not_future=True),
    )),
    RegisterSpec("moves", (
        NAME, ID_NUMBER,
        Column("from_code", ("迁出地", "迁出地代码"), "region", target="from_region_id"),
        Column("to_code", ("迁入地", "迁入地代码"), "region", target="to_region_id"),
        Column("moved_on", ("迁移日期",), "date", not_future=True),
    ), region_columns=("from_code", "to_code")),
)}

# The role column takes the Chinese words of MONITORING.md or the stored English values.
ENTERPRISE_ROLES = {
    "法定代表人": EnterpriseRole.LEGAL_REPRESENTATIVE, "股东": EnterpriseRole.SHAREHOLDER,
    "个体户": EnterpriseRole.SOLE_TRADER, "个体工商户": EnterpriseRole.SOLE_TRADER,
    **{value: value for value in EnterpriseRole.values},
}

# Messages by "<field>.<code>", then by "<column kind>.<code>"; ID, date and amount codes fall through to
# validators.ERROR_MESSAGES ("id.", "date.", "money.").
MESSAGES = {
    "text.required": _("This cell is empty; it is required."),
    "text.too_long": _("The text is longer than this column allows (%(max)s characters)."),
    "text.formula": _("A cell may not start with =, +, - or @ (spreadsheet formula)."),
    "village.required": _("The village code is missing; enter the 12-digit code of the village."),
    "village.unknown": _("No village has this code; enter the 12-digit code of a village."),
    "region.required": _("The region code is missing; enter a 12-digit region code."),
    "region.unknown": _("No region has this code; enter a 12-digit region code."),
    "village_code.outside_scope": _("This village lies outside the region the file covers."),
    "from_code.outside_scope": _("Neither end of this move lies inside the region the file covers."),
    "area.required": _("The area is missing; enter the contracted area in mu, such as 3.25."),
    "role.required": _("The role is missing: 法定代表人, 股东 or 个体户."),
    "role.unknown": _("The role must be 法定代表人, 股东 or 个体户."),
    "credit_code.required": _("The unified social credit code is missing."),
    "credit_code.bad_format": _(
        "A unified social credit code has 18 characters: digits and capital letters other than I, O, S, V and Z."),
    "id_number.duplicate_in_file": _("The same person appears earlier in this file (row %(first)s)."),
    "post.duplicate_in_file": _("The same person, village and post appear earlier in this file (row %(first)s)."),
    "post.other_scope": _("The same person, village and post are already registered by an import for another "
                          "region; correct that register first."),
    "contract_number.duplicate_in_file": _("The same contract number appears earlier in this file (row %(first)s)."),
    "contract_number.other_scope": _("This contract number is already registered by an import for another "
                                     "region; correct that register first."),
    "date.before_start": _("The end date is before the start date."),
}
