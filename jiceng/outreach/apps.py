from typing import Any

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
        from jiceng.orgs import signals as org_signals

        from .pairings.importer import PairingImporter
        from .registry.importer import NeedyImporter
        from .visits.selectors import visit_notices

        register_provider(visit_notices)
        register_import(ImportJob.Kind.NEEDY, NeedyImporter())  # the needy registry (S26)
        register_import(ImportJob.Kind.PAIRING, PairingImporter())  # pairings (S26)
        # The visits' copies of unit paths follow a moved subtree (what the counts group by).
        org_signals.subtree_moved.connect(_visits_follow_move, dispatch_uid="outreach.visits")


def _visits_follow_move(
    sender: Any, *, old_path: str, new_path: str, actor: Any, reason: str, **kwargs: Any
) -> None:
    from .visits.services import visits_follow_move

    visits_follow_move(actor=actor, old_path=old_path, new_path=new_path, note=reason)
