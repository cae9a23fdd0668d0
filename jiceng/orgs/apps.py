from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "jiceng.orgs"
    label = "orgs"

    def ready(self) -> None:
        from jiceng.core.notices import register_provider

        from .selectors import health_notices

        register_provider(health_notices)
