from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalConfig(AppConfig):
    """Unit appraisal (issue 21 item 4): a score per campaign unit from campaign, petition and
    survey indicators with the city's weights, ranked within district and sector."""

    name = "jiceng.appraisal"
    verbose_name = _("单位考核")
    default_auto_field = "django.db.models.BigAutoField"
