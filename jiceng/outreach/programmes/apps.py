from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    """A workflow of outreach with tables of its own, installed as its own app (label
    ``outreach_programmes``) so its migrations are independent of the other workflows'."""

    name = "jiceng.outreach.programmes"
    label = "outreach_programmes"
    verbose_name = _("特色服务")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jiceng.core.notices import register_provider

        from .selectors import service_notices

        # Overdue service tasks (S27) for the units over them and for the responsible member.
        register_provider(service_notices)
