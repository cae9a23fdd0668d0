from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "jiceng.surveys"
    label = "surveys"
    verbose_name = "民主评议与测评"
