from django.urls import path

from escalations.views import queue, tickets

app_name = "escalations"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("tickets/new/", tickets.ticket_create, name="ticket_create"),
    path("tickets/SUP-<int:number>/", tickets.ticket_detail, name="ticket"),
    path("tickets/SUP-<int:number>/<slug:transition>/", tickets.ticket_transition, name="ticket_transition"),
]
