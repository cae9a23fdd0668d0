from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PairingsConfig(AppConfig):
    """A workflow of outreach with tables of its own, installed as its own app (label
    ``outreach_pairings``) so its migrations are independent of the other workflows'."""

    name = "jiceng.outreach.pairings"
    label = "outreach_pairings"
    verbose_name = _("结对帮扶")
    default_auto_field = "django.db.models.BigAutoField"
