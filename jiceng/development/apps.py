from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DevelopmentConfig(AppConfig):
    name = "jiceng.development"
    label = "development"
    verbose_name = _("发展党员")

    def ready(self) -> None:
        from jiceng.core.notices import register_provider
        from jiceng.imports.kinds import register as register_import
        from jiceng.imports.models import ImportJob

        from .importer import DevelopmentImporter
        from .selectors import development_notices

        register_provider(development_notices)
        register_import(ImportJob.Kind.DEVELOPMENT, DevelopmentImporter())  # stage dates
