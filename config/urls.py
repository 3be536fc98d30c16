from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from escalations.views.health import healthz

urlpatterns = [
    path("", include("escalations.urls")),
    path("templates/", include("templates_app.urls")),
    path("reports/", include("reporting.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
