"""The register of beneficiaries: households, persons and their cards, plus the registers risk rules read.

Personal numbers are never stored in clear: `*_cipher` holds the AES-GCM token (disbursement.pii),
`*_hash` the blind index used for lookups, joins and uniqueness, `*_masked` what every page shows.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from disbursement.pii import mask_name


class Household(models.Model):
    village = models.ForeignKey("geo.Region", verbose_name=_("village"), on_delete=models.PROTECT,
                                related_name="households")
    group = models.CharField(_("village group"), max_length=60, blank=True)
    head = models.ForeignKey("Person", verbose_name=_("head of household"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return f"{self.village_id} {self.group} #{self.pk}"


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class Person(models.Model):
    name = models.CharField(_("name"), max_length=50)
    id_hash = models.UUIDField(_("ID number index"), unique=True)
    id_cipher = models.TextField(_("ID number (encrypted)"))
    id_masked = models.CharField(_("ID number"), max_length=18)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    village = models.ForeignKey("geo.Region", verbose_name=_("village"), on_delete=models.PROTECT,
                                related_name="persons", db_index=False)  # (village, name) below serves it
    group = models.CharField(_("village group"), max_length=60, blank=True)
    household = models.ForeignKey(Household, verbose_name=_("household"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="members", db_index=False)
    phone_cipher = models.TextField(_("phone (encrypted)"), blank=True)
    phone_masked = models.CharField(_("phone"), max_length=11, blank=True)
    deceased_on = models.DateField(_("date of death"), null=True, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True,
                                  help_text=_("Facts eligibility rules read, e.g. disability_grade, minimum_living."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [
            models.Index(fields=["village", "name"], name="person_village_name"),
            # Most persons arrive through rosters without a household: index only those that have one.
            models.Index(fields=["household"], name="person_household", condition=models.Q(household__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{mask_name(self.name)} {self.id_masked}"


class CardKind(models.TextChoices):
    SOCIAL_SECURITY = "social_security", _("social security card")
    BANK = "bank", _("bank card")


class CardStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    CLOSED = "closed", _("closed")


class Card(models.Model):
    """The one card a person is paid on; at most one active card per person."""

    # Cards are written by INSERT … SELECT joined to their person, and PROTECT keeps persons from deletion through
    # the ORM; a database foreign key would lock each new person row again (8 s of a 1M-row import, see
    # docs/benchmarks.md). The (person, status) index below serves the lookups.
    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="cards",
                               db_index=False, db_constraint=False)
    bank = models.CharField(_("bank"), max_length=60, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=CardKind.choices, default=CardKind.SOCIAL_SECURITY)
    number_hash = models.UUIDField(_("card number index"), unique=True)
    number_cipher = models.TextField(_("card number (encrypted)"))
    number_masked = models.CharField(_("card number"), max_length=24)
    status = models.CharField(_("status"), max_length=10, choices=CardStatus.choices, default=CardStatus.ACTIVE)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("card")
        verbose_name_plural = _("cards")
        indexes = [models.Index(fields=["person", "status"], name="card_person_status")]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=models.Q(status="active"),
                                    name="card_one_active_per_person"),
        ]

    def __str__(self) -> str:
        return self.number_masked


class SideRecord(models.Model):
    """A row of a side register (deaths, cadres, land, payroll, vehicles, enterprises, pensions, moves).

    Each register is imported as a file that covers one region (`scope`): importing it again for that region
    replaces that region's rows of that register (a snapshot, not a log). The whole ID is encrypted like any
    other, found through its blind index, shown masked.
    """

    id_hash = models.UUIDField(_("ID number index"), db_index=True)
    id_cipher = models.TextField(_("ID number (encrypted)"), blank=True, db_default="")
    id_masked = models.CharField(_("ID number"), max_length=18)
    name = models.CharField(_("name"), max_length=50)
    scope = models.ForeignKey("geo.Region", verbose_name=_("covered region"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+",
                              help_text=_("The region the imported file covers; re-importing replaces its rows."))
    job = models.ForeignKey("disbursement.ImportJob", verbose_name=_("import"), null=True, blank=True,
                            on_delete=models.SET_NULL, related_name="+", db_constraint=False)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        abstract = True


class DeathRecord(SideRecord):
    """A death registration (civil affairs 殡葬 / public security 户籍注销)."""

    died_on = models.DateField(_("date of death"))
    source = models.CharField(_("source"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("death registration")
        verbose_name_plural = _("death registrations")
        constraints = [models.UniqueConstraint(fields=["scope", "id_hash"], name="death_once_per_scope")]

    def __str__(self) -> str:
        return f"{self.id_masked} {self.died_on}"


class VillageCadre(SideRecord):
    """A village cadre (村干部); no term end means serving. Rules watch subsidies to cadres and their households."""

    village = models.ForeignKey("geo.Region", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    post = models.CharField(_("post"), max_length=60)
    term_start = models.DateField(_("term start"), null=True, blank=True)
    term_end = models.DateField(_("term end"), null=True, blank=True)

    class Meta:
        verbose_name = _("village cadre")
        verbose_name_plural = _("village cadres")
        constraints = [models.UniqueConstraint(fields=["id_hash", "village", "post"], name="cadre_once_per_post")]

    def __str__(self) -> str:
        return f"{self.id_masked} {self.post}"


class LandContract(SideRecord):
    """Contracted farmland (土地承包, 确权) of a person; farmland subsidies are checked against its area."""

    village = models.ForeignKey("geo.Region", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    contract_number = models.CharField(_("contract number"), max_length=60)
    area_milli_mu = models.BigIntegerField(_("area (1/1000 mu)"))

    class Meta:
        verbose_name = _("land contract")
        verbose_name_plural = _("land contracts")
        constraints = [models.UniqueConstraint(fields=["contract_number"], name="land_contract_number_unique")]

    def __str__(self) -> str:
        return self.contract_number


class PayrollRecord(SideRecord):
    """A person on the public payroll (财政供养人员, 工资统发); no end means still employed."""

    employer = models.CharField(_("employer"), max_length=120)
    start = models.DateField(_("from"), null=True, blank=True)
    end = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("public payroll record")
        verbose_name_plural = _("public payroll records")

    def __str__(self) -> str:
        return f"{self.id_masked} {self.employer}"


class Vehicle(SideRecord):
    """A motor vehicle registered to a person (public security traffic)."""

    plate = models.CharField(_("plate"), max_length=16)
    vehicle_type = models.CharField(_("vehicle type"), max_length=40)
    registered_on = models.DateField(_("registered on"))

    class Meta:
        verbose_name = _("vehicle")
        verbose_name_plural = _("vehicles")

    def __str__(self) -> str:
        return f"{self.id_masked} {self.vehicle_type}"


class EnterpriseRole(models.TextChoices):
    LEGAL_REPRESENTATIVE = "legal_representative", _("legal representative")
    SHAREHOLDER = "shareholder", _("shareholder")
    SOLE_TRADER = "sole_trader", _("sole trader")


class Enterprise(SideRecord):
    """A person's role in a registered business (market regulation 工商登记)."""

    enterprise = models.CharField(_("enterprise"), max_length=200)
    credit_code = models.CharField(_("unified social credit code"), max_length=18)
    role = models.CharField(_("role"), max_length=24, choices=EnterpriseRole.choices)

    class Meta:
        verbose_name = _("enterprise role")
        verbose_name_plural = _("enterprise roles")

    def __str__(self) -> str:
        return f"{self.id_masked} {self.credit_code}"


class Pension(SideRecord):
    """A pension being drawn (养老金领取), per month."""

    monthly_fen = models.BigIntegerField(_("monthly pension (fen)"))
    start = models.DateField(_("from"), null=True, blank=True)

    class Meta:
        verbose_name = _("pension")
        verbose_name_plural = _("pensions")

    def __str__(self) -> str:
        return f"{self.id_masked} {self.monthly_fen}"


class HouseholdMove(SideRecord):
    """A household registration move (户籍迁移) between regions."""

    from_region = models.ForeignKey("geo.Region", verbose_name=_("moved from"), on_delete=models.DO_NOTHING,
                                    related_name="+", db_constraint=False)
    to_region = models.ForeignKey("geo.Region", verbose_name=_("moved to"), on_delete=models.DO_NOTHING,
                                  related_name="+", db_constraint=False)
    moved_on = models.DateField(_("moved on"))

    class Meta:
        verbose_name = _("household move")
        verbose_name_plural = _("household moves")

    def __str__(self) -> str:
        return f"{self.id_masked} {self.moved_on}"


# The side registers by the KIND that `import_register` takes.
SIDE_REGISTERS: dict[str, type[SideRecord]] = {
    "deaths": DeathRecord, "cadres": VillageCadre, "land": LandContract, "payroll": PayrollRecord,
    "vehicles": Vehicle, "enterprises": Enterprise, "pensions": Pension, "moves": HouseholdMove,
}
