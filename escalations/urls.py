from django.urls import path

from escalations import views

app_name = "escalations"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("tickets/new/", views.ticket_create, name="ticket_create"),
    path("tickets/SUP-<int:number>/", views.ticket_detail, name="ticket"),
    path("tickets/SUP-<int:number>/<slug:transition>/", views.ticket_transition, name="ticket_transition"),
]
