from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RectificationConfig(AppConfig):
    """Rectification items raised by the public and the standing arrangements that keep them
    solved (S20, S22). Distinct from the rectification of weak organisations (``orgs``)."""

    name = "jiceng.rectification"
    label = "rectification"
    verbose_name = _("整改事项")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jiceng.core.attachments import owners as attachments
        from jiceng.core.notices import register_provider

        from .models import RectificationItem
        from .selectors import rectification_notices
        from .services import may_attach

        register_provider(rectification_notices)
        # Evidence of an item: photos of the site before and after, the notice posted, papers.
        attachments.register(
            RectificationItem,
            "rectification-item",
            may_attach=may_attach,
            path_of=lambda item: item.path,
        )
