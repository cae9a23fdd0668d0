from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "jiceng.orgs"
    label = "orgs"

    def ready(self) -> None:
        from jiceng.core.home import register_figures
        from jiceng.core.notices import register_provider

        from .selectors import health_notices, home_figures

        register_provider(health_notices)
        register_figures(home_figures)
