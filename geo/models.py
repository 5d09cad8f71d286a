from django.db import models
from django.utils.translation import gettext_lazy as _

from geo import codes


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")
    VILLAGE = "village", _("Village")


class RegionQuerySet(models.QuerySet):
    def within(self, code: str) -> "RegionQuerySet":
        low, high = codes.subtree_bounds(code)
        return self.filter(code__gte=low, code__lte=high)


class Region(models.Model):
    """A node of the official region tree, keyed by its 12-digit statistical code.

    The code is the primary key so that every foreign key to a region *is* the code, and "inside
    this subtree" is a range filter on that column without a join (see geo.codes).
    """

    code = models.CharField(_("code"), max_length=12, primary_key=True)
    name = models.CharField(_("name"), max_length=100, db_index=True)
    level = models.CharField(_("level"), max_length=10, choices=RegionLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_statistical = models.BooleanField(
        _("statistics-only zone"),
        default=False,
        help_text=_("A development or functional zone that NBS codes at county level but that is not a county."),
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=models.Q(code__regex=r"^[0-9]{12}$"), name="region_code_12_digits"),
            models.CheckConstraint(
                condition=models.Q(level=RegionLevel.PROVINCE) | models.Q(parent__isnull=False),
                name="region_parent_unless_province",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def prefix(self) -> str:
        return codes.region_prefix(self.code)
