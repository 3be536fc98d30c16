from django.urls import path

from reporting import views

app_name = "reporting"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("escalations/", views.escalations, name="escalations"),
    path("sla/", views.sla, name="sla"),
    path("accounts/", views.accounts, name="accounts"),
    path("quality/", views.quality, name="quality"),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/<int:pk>/", views.review_create, name="review_create"),
    path("tickets/", views.tickets, name="tickets"),
]
