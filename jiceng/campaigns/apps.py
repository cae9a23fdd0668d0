from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "jiceng.campaigns"
    label = "campaigns"
    verbose_name = "先进性教育活动"

    def ready(self) -> None:
        from jiceng.core.notices import register_provider

        from .chains.selectors import chain_notices
        from .progress.selectors import progress_notices

        register_provider(progress_notices)
        register_provider(chain_notices)
