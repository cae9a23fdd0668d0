"""Routes of worker recruitment (S3): the district's pages and the public's (no login)."""

from django.urls import path

from . import views

app_name = "workers"

urlpatterns = [
    path("", views.round_list, name="round-list"),
    path("new/", views.round_create, name="round-create"),
    path("figures/", views.figures, name="figures"),
    path("<int:pk>/", views.round_detail, name="round-detail"),
    path("<int:pk>/edit/", views.round_edit, name="round-edit"),
    path("<int:pk>/posts/new/", views.post_create, name="post-create"),
    path("posts/<int:pk>/", views.post_detail, name="post-detail"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post-edit"),
    path("posts/<int:pk>/screen/", views.post_screen, name="post-screen"),
    path("posts/<int:pk>/scores/", views.post_scores, name="post-scores"),
    path("posts/<int:pk>/rank/", views.post_rank, name="post-rank"),
    path("posts/<int:pk>/notice/", views.post_notice, name="post-notice"),
    path("applications/<int:pk>/", views.application_detail, name="application-detail"),
    path("applications/<int:pk>/screen/", views.application_screen, name="application-screen"),
    path("applications/<int:pk>/objections/", views.objection_add, name="objection-add"),
    path("applications/<int:pk>/hire/", views.application_hire, name="application-hire"),
    path("objections/<int:pk>/resolve/", views.objection_resolve, name="objection-resolve"),
    path("people/", views.worker_list, name="worker-list"),
    path("people/<int:pk>/", views.worker_detail, name="worker-detail"),
    path("people/<int:pk>/training/", views.training_add, name="training-add"),
    path("people/<int:pk>/certificate/", views.certificate, name="certificate"),
    path("people/<int:pk>/deploy/", views.deploy, name="deploy"),
    path("people/<int:pk>/leave/", views.leave, name="leave"),
    # the public (no login)
    path("jobs/", views.public_posts, name="public-posts"),
    path("jobs/<int:pk>/apply/", views.apply, name="apply"),
    path("jobs/applied/", views.applied, name="applied"),
    path("jobs/follow/", views.follow, name="follow"),
]
