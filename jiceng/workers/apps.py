from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkersConfig(AppConfig):
    """Recruiting full-time party-mass workers (S3): posts, the public's applications,
    screening, scores, ranking, public notice, hiring, training and deployment."""

    name = "jiceng.workers"
    label = "workers"
    verbose_name = _("党群工作者招聘")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jiceng.orgs import panels

        from .selectors import org_badges, org_panel

        # the workers serving an organisation, on its page and as a badge in the tree
        panels.register_panel(org_panel)
        panels.register_badges(org_badges)
