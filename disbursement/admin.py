from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from disbursement.accounts.admin import ApiTokenAdmin, UserAdmin
from disbursement.catalog.admin import CatalogReleaseAdmin, CategoryAdmin, ItemAdmin, StandardAdmin
from disbursement.models import ApiToken, CatalogRelease, Category, Item, RuleSetting, Standard, TreasurySettings, User
from disbursement.notifications.admin import NoticeAdmin
from disbursement.notifications.models import Notice
from disbursement.risk.admin import RuleSettingAdmin
from disbursement.treasury.admin import TreasurySettingsAdmin

admin.site.site_header = _("One-card subsidy system administration")
admin.site.site_title = _("One-card administration")

admin.site.register(User, UserAdmin)
admin.site.register(ApiToken, ApiTokenAdmin)
admin.site.register(Category, CategoryAdmin)
admin.site.register(Item, ItemAdmin)
admin.site.register(CatalogRelease, CatalogReleaseAdmin)
admin.site.register(Standard, StandardAdmin)
admin.site.register(RuleSetting, RuleSettingAdmin)
admin.site.register(TreasurySettings, TreasurySettingsAdmin)
admin.site.register(Notice, NoticeAdmin)  # the outbox, read only
