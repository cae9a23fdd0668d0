from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    """A workflow of outreach with tables of its own, installed as its own app (label
    ``outreach_projects``) so its migrations are independent of the other workflows'."""

    name = "jiceng.outreach.projects"
    label = "outreach_projects"
    verbose_name = _("帮扶项目")
    default_auto_field = "django.db.models.BigAutoField"
