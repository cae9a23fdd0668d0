from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PetitionsConfig(AppConfig):
    name = "jiceng.petitions"
    verbose_name = _("信访")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jiceng.core.notices import register_provider
        from jiceng.imports.kinds import register as register_import
        from jiceng.imports.models import ImportJob

        from .importer import PetitionImporter
        from .selectors import petition_notices

        register_provider(petition_notices)
        register_import(ImportJob.Kind.PETITION, PetitionImporter())  # historical cases
