from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "jiceng.accounts"
    label = "accounts"
    verbose_name = "账号与角色"

    def ready(self) -> None:
        from . import signals  # noqa: F401
