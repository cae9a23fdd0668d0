"""Routes of satisfaction surveys (S23): the officers' pages and the public's (no login)."""

from django.urls import path

from . import views

app_name = "satisfaction"

urlpatterns = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_create, name="create"),
    path("<int:pk>/", views.survey_detail, name="detail"),
    path("<int:pk>/edit/", views.survey_edit, name="edit"),
    path("<int:pk>/act/<str:action>/", views.survey_act, name="act"),
    path("<int:pk>/questions/", views.question_add, name="question-add"),
    path(
        "<int:pk>/questions/<int:question_pk>/remove/",
        views.question_remove,
        name="question-remove",
    ),
    path(
        "<int:pk>/questions/<int:question_pk>/move/<str:direction>/",
        views.question_move,
        name="question-move",
    ),
    path("<int:pk>/units/", views.units_add, name="units-add"),
    path("<int:pk>/units/<int:unit_pk>/remove/", views.unit_remove, name="unit-remove"),
    path("<int:pk>/tokens/", views.tokens_generate, name="tokens-generate"),
    path("<int:pk>/units/<int:unit_pk>/sheet/", views.token_sheet, name="token-sheet"),
    path("<int:pk>/results/", views.survey_results, name="results"),
    path("<int:pk>/comments/", views.survey_comments, name="comments"),
    # the public (no login)
    path("t/<str:token>/", views.answer, name="answer"),
    path("o/<str:key>/", views.open_answer, name="open-answer"),
    path("captcha/<str:challenge>.png", views.captcha_image, name="captcha"),
    path("thanks/", views.thanks, name="thanks"),
]
