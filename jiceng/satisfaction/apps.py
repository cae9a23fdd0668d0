from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SatisfactionConfig(AppConfig):
    """Public satisfaction surveys (群众满意度测评): answered without login by token or open
    link; results per unit with the units to redo the work (补课)."""

    name = "jiceng.satisfaction"
    verbose_name = _("群众满意度测评")
    default_auto_field = "django.db.models.BigAutoField"
