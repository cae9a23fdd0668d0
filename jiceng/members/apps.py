from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "jiceng.members"
    label = "members"

    def ready(self) -> None:
        from jiceng.core.notices import register_provider

        from .lost_contact_selectors import lost_contact_notices
        from .placement_selectors import placement_notices
        from .transfer_selectors import transfer_notices

        register_provider(transfer_notices)
        register_provider(placement_notices)
        register_provider(lost_contact_notices)
