from django.apps import AppConfig


class StudyConfig(AppConfig):
    name = "jiceng.study"
    label = "study"
    verbose_name = "学习"
