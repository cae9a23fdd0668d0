from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "jiceng.outreach"
    verbose_name = _("联系服务群众")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jiceng.core.notices import register_provider

        from .visits.selectors import visit_notices

        register_provider(visit_notices)
