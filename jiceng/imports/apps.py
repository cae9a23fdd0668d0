from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "jiceng.imports"
    label = "imports"
    verbose_name = "导入导出"
