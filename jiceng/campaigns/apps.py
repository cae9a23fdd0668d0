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
        self._attachable()
        self._tallies()

    @staticmethod
    def _tallies() -> None:
        """The stored four lets and four ones follow the roll's writes (issue 22)."""
        from jiceng.orgs import tallies

        from .coverage import totals as coverage_totals
        from .practices import totals as practices_totals

        tallies.register(coverage_totals.recount_units)
        tallies.register_repath(coverage_totals.repath_coverage)
        tallies.register(practices_totals.recount_units)

    @staticmethod
    def _attachable() -> None:
        """Campaign evidence (a unit's submitted materials), four-ones items and practice
        activities take photos and files."""
        from jiceng.core.attachments import owners

        from .practices import services as practices
        from .practices.models import FourOnesItem, PracticeActivity
        from .progress.models import CampaignUnit
        from .progress.rules import Side
        from .progress.services import acts_for

        owners.register(
            CampaignUnit,
            "campaign-unit",
            may_attach=lambda actor, unit: acts_for(actor, unit, Side.UNIT),
            path_of=lambda unit: unit.org_path,
        )
        owners.register(
            FourOnesItem,
            "four-ones",
            may_attach=practices.four_ones_may_attach,
            path_of=lambda item: item.member_path,
        )
        owners.register(
            PracticeActivity,
            "practice-activity",
            may_attach=practices.activity_may_attach,
            path_of=lambda activity: activity.org_path,
        )
