from django.apps import AppConfig


class TemplatesAppConfig(AppConfig):
    name = "templates_app"
    verbose_name = "Escalation templates"

    def ready(self) -> None:
        from escalations.selectors.panels import register_ticket_panel
        from escalations.selectors.timeline import EXTRA_SOURCES
        from escalations.services.clock_loop import register_sweep_step
        from escalations.services.outbox import register_consumer
        from escalations.signals import ticket_closing
        from templates_app.domain.qa import refuse_close_until_qa_passes
        from templates_app.selectors import ticket_panel, timeline_entries
        from templates_app.services import clock
        from templates_app.services.execution import on_desk_event

        register_consumer("templates", on_desk_event)
        ticket_closing.connect(refuse_close_until_qa_passes, dispatch_uid="templates_app.qa_gate")
        EXTRA_SOURCES.append(timeline_entries)
        register_sweep_step("Templates clock", clock.sweep)
        register_ticket_panel("templates_app/_ticket_panel.html", ticket_panel)
