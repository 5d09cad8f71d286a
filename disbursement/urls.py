from django.contrib.auth import views as auth_views
from django.urls import path

from disbursement import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="login.html", redirect_authenticated_user=True),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    path("users/", views.user_list, name="user-list"),
    path("users/<int:user_id>/", views.user_detail, name="user-detail"),
    path("regions/<str:code>/", views.region_detail, name="region-detail"),
    path("catalog/", views.item_list, name="item-list"),
]
