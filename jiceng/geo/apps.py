from django.apps import AppConfig


class GeoConfig(AppConfig):
    name = "jiceng.geo"
    label = "geo"
