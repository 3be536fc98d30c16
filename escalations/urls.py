from django.urls import path

from escalations.views import escalation, notifications, people, queue, tickets

app_name = "escalations"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("tickets/new/", tickets.ticket_create, name="ticket_create"),
    path("tickets/SUP-<int:number>/", tickets.ticket_detail, name="ticket"),
    path("tickets/SUP-<int:number>/clocks/", tickets.ticket_clocks_fragment, name="ticket_clocks"),
    path("tickets/SUP-<int:number>/notes/", tickets.ticket_add_note, name="ticket_add_note"),
    path("tickets/SUP-<int:number>/clear-flag/", tickets.ticket_clear_flag, name="ticket_clear_flag"),
    # The guided actions share the transition URL shape, so a transition button links the same way to every action.
    path("tickets/SUP-<int:number>/escalate/", escalation.ticket_escalate, name="ticket_escalate"),
    path("tickets/SUP-<int:number>/deescalate/", escalation.ticket_deescalate, name="ticket_deescalate"),
    path("tickets/SUP-<int:number>/transfer/", escalation.ticket_transfer, name="ticket_transfer"),
    path("tickets/SUP-<int:number>/<slug:transition>/", tickets.ticket_transition, name="ticket_transition"),
    path("notifications/", notifications.notification_inbox, name="notifications"),
    path("notifications/failed/", notifications.failed_deliveries, name="notifications_failed"),
    path("notifications/<int:pk>/retry/", notifications.notification_retry, name="notification_retry"),
    path("people/availability/", people.availability, name="availability"),
    path("escalations/<int:pk>/", escalation.escalation_detail, name="escalation"),
    path("escalations/<int:pk>/<slug:document>.md", escalation.escalation_document, name="escalation_document"),
    path(
        "escalations/<int:pk>/attachments/<int:attachment_id>/",
        escalation.escalation_attachment,
        name="escalation_attachment",
    ),
]
