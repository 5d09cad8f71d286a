from django.contrib.auth import views as auth_views
from django.urls import path

from disbursement import views
from disbursement.accounts import views as account_views
from disbursement.alerts import views as alert_views
from disbursement.budget import views as budget_views
from disbursement.complaints import views as complaint_views
from disbursement.payments import card_fix_views
from disbursement.payments import views as payment_views
from disbursement.registry import views as registry_views
from disbursement.rosters import views as roster_views
from disbursement.supervision import map_views
from disbursement.supervision import views as supervision_views
from disbursement.treasury import views as treasury_views

urlpatterns = [
    path("login/", account_views.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("users/", views.user_list, name="user-list"),
    path("users/<int:user_id>/", views.user_detail, name="user-detail"),
    path("regions/<str:code>/", views.region_detail, name="region-detail"),
    path("catalog/", views.item_list, name="item-list"),
    path("catalog/<str:code>/", views.item_detail, name="item-detail"),
    path("catalog/<str:code>/standards/", views.item_standard_add, name="item-standard-add"),
    path("rosters/", roster_views.roster_list, name="roster-list"),
    path("rosters/upload/", roster_views.roster_upload, name="roster-upload"),
    path("rosters/<int:roster_id>/", roster_views.roster_detail, name="roster-detail"),
    path("rosters/<int:roster_id>/act/", roster_views.roster_act, name="roster-act"),
    path("budget/", budget_views.indicator_list, name="indicator-list"),
    path("budget/issue/", budget_views.indicator_issue, name="indicator-issue"),
    path("budget/<int:indicator_id>/", budget_views.indicator_detail, name="indicator-detail"),
    path("rosters/<int:roster_id>/bank-files/", payment_views.bank_files_generate, name="bank-files-generate"),
    path("rosters/<int:roster_id>/bank-return/", payment_views.bank_return_upload, name="bank-return-upload"),
    path("bank-files/<int:bank_file_id>/", payment_views.bank_file_download, name="bank-file-download"),
    path("payments/", payment_views.payment_list, name="payment-list"),
    path("payments/failed/", payment_views.failed_payment_list, name="failed-payment-list"),
    path("risk/stopped/", payment_views.stopped_report, name="risk-stopped"),
    path("complaints/", complaint_views.complaint_list, name="complaint-list"),
    path("payments/<int:payment_id>/act/", payment_views.payment_act, name="payment-act"),
    # The clerk's one-step fix of a failed payment (issue 12).
    path("payments/<int:payment_id>/card/", card_fix_views.payment_card_fix, name="payment-card-fix"),
    path("payments/<str:reference>/", payment_views.payment_trace, name="payment-trace"),
    path("imports/<int:job_id>/", roster_views.import_detail, name="import-detail"),
    path("imports/<int:job_id>/report/", roster_views.import_report, name="import-report"),
    path("register/", registry_views.person_search, name="person-search"),
    path("registry/persons/<int:person_id>/", registry_views.person_detail, name="person-detail"),
    path("registry/persons/<int:person_id>/reveal/", registry_views.person_reveal, name="person-reveal"),
    path("alerts/", alert_views.alert_list, name="alert-list"),
    path("alerts/export/", alert_views.alert_export, name="alert-export"),
    path("alerts/<int:alert_id>/", alert_views.alert_detail, name="alert-detail"),
    path("inbox/", alert_views.inbox, name="inbox"),
    path("registers/", registry_views.register_home, name="register-home"),
    path("supervision/map/", map_views.map_page, name="supervision-map"),
    path("supervision/map/frame/", map_views.map_frame, name="supervision-map-frame"),
    path("supervision/map/export/", map_views.map_export, name="supervision-map-export"),
    path("supervision/", supervision_views.overview, name="supervision"),
    path("supervision/flow/", supervision_views.fund_flow, name="supervision-flow"),
    path("supervision/regions/<str:code>/", supervision_views.region, name="supervision-region"),
    path("supervision/regions/<str:code>/rosters/<int:roster_id>/", supervision_views.roster_lines,
         name="supervision-roster-lines"),
    path("registers/imports/<int:job_id>/", registry_views.register_import_detail, name="register-import-detail"),
    path("treasury/import/", treasury_views.statement_import, name="treasury-import"),
    path("treasury/", treasury_views.month_table, name="treasury-months"),
    path("treasury/export/", treasury_views.month_export, name="treasury-month-export"),
    path("treasury/daily/", treasury_views.day_table, name="treasury-days"),
    path("treasury/grid/", treasury_views.grid, name="treasury-grid"),
    path("treasury/forecast/", treasury_views.forecast, name="treasury-forecast"),
    path("treasury/regions/<str:code>/", treasury_views.region_detail, name="treasury-region"),
]
