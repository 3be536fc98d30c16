from django.contrib.admin.apps import AdminConfig


class DeskAdminConfig(AdminConfig):
    default_site = "config.admin.DeskAdminSite"

    def ready(self) -> None:
        super().ready()  # discovers every app's admin module, django.contrib.auth's and django-q2's included
        from django.contrib import admin

        from config import people_admin, queue_admin

        people_admin.register(admin.site)
        queue_admin.register(admin.site)
