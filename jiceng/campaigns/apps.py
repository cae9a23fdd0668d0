from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "jiceng.campaigns"
    label = "campaigns"
    verbose_name = "先进性教育活动"
