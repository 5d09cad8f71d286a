from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.TextChoices):
    FINANCE = "finance", _("Finance")
    AGRICULTURE = "agriculture", _("Agriculture and rural affairs")
    CIVIL_AFFAIRS = "civil_affairs", _("Civil affairs")
    HUMAN_RESOURCES = "human_resources", _("Human resources and social security")
    HEALTH = "health", _("Health")
    VETERANS = "veterans", _("Veterans affairs")
    EDUCATION = "education", _("Education")
    FORESTRY = "forestry", _("Forestry")
    NATURAL_RESOURCES = "natural_resources", _("Natural resources")
    HOUSING = "housing", _("Housing and urban-rural development")
    WATER = "water", _("Water resources")
    DISABLED_PERSONS_FEDERATION = "disabled_persons_federation", _("Disabled persons' federation")
    RURAL_REVITALIZATION = "rural_revitalization", _("Rural revitalisation")
    EMERGENCY = "emergency", _("Emergency management")
    ECOLOGY = "ecology", _("Ecology and environment")
    GRAIN_RESERVE = "grain_reserve", _("Grain and material reserves")
    TRANSPORT = "transport", _("Transport")
    COMMERCE = "commerce", _("Commerce")


class Unit(models.TextChoices):
    PERSON = "person", _("per person")
    HOUSEHOLD = "household", _("per household")
    MU = "mu", _("per mu")
    HEAD = "head", _("per head of livestock")
    TONNE = "tonne", _("per tonne")
    SET = "set", _("per set")
    SQUARE_METRE = "square_metre", _("per square metre")
    HECTARE = "hectare", _("per hectare")


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    SEMIANNUAL = "semiannual", _("Half-yearly")
    ANNUAL = "annual", _("Yearly")
    ONCE = "once", _("Once")


class Category(models.Model):
    code = models.CharField(_("code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=100, unique=True)
    name_en = models.CharField(_("English name"), max_length=200)
    # 三保 (basic livelihoods, wages, operations) come first when a county's treasury runs short: the treasury
    # forecast splits committed outflow by this mark (set per category in data/catalog.toml).
    basic_livelihood = models.BooleanField(_("basic livelihood"), default=False)

    class Meta:
        verbose_name = _("subsidy category")
        verbose_name_plural = _("subsidy categories")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Item(models.Model):
    """A subsidy item of the catalog: what is paid, by whom, how much per unit and how often."""

    code = models.CharField(_("code"), max_length=8, primary_key=True)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="items")
    name = models.CharField(_("name"), max_length=100, unique=True)
    name_en = models.CharField(_("English name"), max_length=200)
    department = models.CharField(_("responsible department"), max_length=32, choices=Department.choices)
    unit = models.CharField(_("unit"), max_length=16, choices=Unit.choices)
    standard_fen = models.BigIntegerField(
        _("standard (fen)"), null=True, blank=True, help_text=_("Amount per unit per payment, in fen.")
    )
    standard_rule = models.CharField(
        _("standard rule"), max_length=300, blank=True, help_text=_("How the amount is set when it varies by case.")
    )
    frequency = models.CharField(_("frequency"), max_length=16, choices=Frequency.choices)
    share_central = models.PositiveSmallIntegerField(_("central share (%)"))
    share_provincial = models.PositiveSmallIntegerField(_("provincial share (%)"))
    share_city = models.PositiveSmallIntegerField(_("city share (%)"))
    share_county = models.PositiveSmallIntegerField(_("county share (%)"))
    publicity_days = models.PositiveSmallIntegerField(
        _("publicity days"), help_text=_("0 when the roster is not publicised (e.g. minors).")
    )
    eligibility = models.JSONField(_("eligibility rules"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    catalog_version = models.CharField(_("catalog version"), max_length=20)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("subsidy item")
        verbose_name_plural = _("subsidy items")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    share_central__lte=100, share_provincial__lte=100, share_city__lte=100, share_county__lte=100
                )
                & models.Q(
                    share_central=100
                    - models.F("share_provincial")
                    - models.F("share_city")
                    - models.F("share_county")
                ),
                name="item_funding_shares_sum_to_100",
            ),
            models.CheckConstraint(
                condition=models.Q(standard_fen__gt=0)
                | (models.Q(standard_fen__isnull=True) & ~models.Q(standard_rule="")),
                name="item_has_positive_standard_or_rule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def publicity_required(self) -> bool:
        return self.publicity_days > 0


class CatalogRelease(models.Model):
    """A version of the catalog data file that was loaded; loading the same content again does nothing."""

    version = models.CharField(_("version"), max_length=20)
    checksum = models.CharField(_("SHA-256 of the file"), max_length=64, unique=True)
    categories = models.PositiveIntegerField(_("categories"))
    items = models.PositiveIntegerField(_("items"))
    loaded_at = models.DateTimeField(_("loaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("catalog release")
        verbose_name_plural = _("catalog releases")
        ordering = ["-loaded_at"]

    def __str__(self) -> str:
        return self.version
