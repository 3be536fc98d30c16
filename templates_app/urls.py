from django.urls import path

from templates_app import views

app_name = "templates_app"

urlpatterns = [
    path("", views.template_list, name="list"),
    path("policy/", views.policy, name="policy"),
    path("new/", views.template_create, name="create"),
    path("import/", views.template_import, name="import"),
    path("export.yaml", views.template_export, name="export"),
    path("versions/<int:pk>/", views.version_detail, name="version"),
    path("versions/<int:pk>/edit/", views.version_edit, name="edit"),
    path("versions/<int:pk>/review/", views.version_review, name="review"),
    path("versions/<int:pk>/simulate/", views.version_simulate, name="simulate"),
    path("versions/<int:pk>/diff/<int:other>/", views.version_diff_page, name="diff"),
    path("versions/<int:pk>/<str:action>/", views.version_action, name="action"),
    path("checklist/<int:pk>/sign/", views.checklist_sign, name="sign"),
    path("tickets/<int:number>/inbound/", views.inbound_event, name="inbound"),
    path("inbound/<slug:slug>/", views.inbound_receive, name="inbound_receive"),
]
