"""Public pages, mounted by the project under /public/."""

from django.urls import path

from disbursement.portal import resident_views, views

app_name = "portal"

urlpatterns = [
    path("", resident_views.lookup, name="lookup"),
    path("complaints/new/", resident_views.complaint_new, name="complaint-new"),
    path("complaints/track/", resident_views.complaint_track, name="complaint-track"),
    path("villages/", views.village_search, name="village-search"),
    path("villages/<str:code>/", views.village_publicity, name="village"),
    path("villages/<str:code>/print/", views.village_publicity_print, name="village-print"),
    path("villages/<str:code>/qr.svg", views.village_qr, name="village-qr"),
    path("townships/<str:code>/", views.township_index, name="township"),
    path("statistics/", views.statistics_page, name="statistics"),
    path("statistics.csv", views.statistics_download, name="statistics-csv"),
    path("language/<str:code>/", resident_views.language_switch, name="language"),
]
