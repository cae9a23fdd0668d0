from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "jiceng.orgs"
    label = "orgs"
