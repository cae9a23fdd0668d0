from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "jiceng.outreach"
    verbose_name = _("联系服务群众")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jiceng.core.notices import register_provider
        from jiceng.imports.kinds import register as register_import
        from jiceng.imports.models import ImportJob

        from .pairings.importer import PairingImporter
        from .registry.importer import NeedyImporter
        from .visits.selectors import visit_notices

        register_provider(visit_notices)
        register_import(ImportJob.Kind.NEEDY, NeedyImporter())  # the needy registry (S26)
        register_import(ImportJob.Kind.PAIRING, PairingImporter())  # pairings (S26)
