from django.apps import AppConfig


class ScenarioConfig(AppConfig):
    name = "jiceng.scenario"
    label = "scenario"
