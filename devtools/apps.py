from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Seed, demo, volume and benchmark commands: installed with DEBUG or DEVTOOLS=1, never needed in production."""

    name = "devtools"
    verbose_name = "Development tools"
