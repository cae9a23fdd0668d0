from django.contrib.auth import views as auth_views
from django.urls import path

from . import views
from .second_factor import views as second_factor

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.user_list, name="list"),
    path("new/", views.user_create, name="create"),
    path("<int:pk>/", views.user_detail, name="detail"),
    path("<int:pk>/deactivate/", views.deactivate, name="deactivate"),
    path("<int:pk>/second-factor/reset/", second_factor.reset, name="otp-reset"),
    path("assignments/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("security/", second_factor.security, name="security"),
    path("security/enrol/", second_factor.enrol, name="otp-enrol"),
    path("security/verify/", second_factor.verify, name="otp-verify"),
    path("security/recovery-codes/", second_factor.recovery_codes, name="otp-recovery"),
    path(
        "security/recovery-codes.txt",
        second_factor.recovery_codes_download,
        name="otp-recovery-download",
    ),
    path("security/api-token/", second_factor.api_token, name="token"),
]
