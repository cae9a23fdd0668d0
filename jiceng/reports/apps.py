from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    """Summary reports (综述, issue 22): written from the data of every app, every figure
    leading to its rows; a page, a .docx to GB/T 9704, kept as generated."""

    name = "jiceng.reports"
    verbose_name = _("综述")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from jiceng.core.home import register_figures

        from .dashboard import home_figures

        register_figures(home_figures)  # the home page's "各项工作" (dashboard.py)
