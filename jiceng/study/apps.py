from django.apps import AppConfig


class StudyConfig(AppConfig):
    name = "jiceng.study"
    label = "study"
    verbose_name = "学习"

    def ready(self) -> None:
        from jiceng.orgs import tallies

        from .totals import recount_units, repath_study

        # stored completion follows the roll's writes and the units' sectors (issue 22)
        tallies.register(recount_units)
        tallies.register_repath(repath_study)
