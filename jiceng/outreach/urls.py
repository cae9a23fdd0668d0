from django.urls import path

from .pairings.urls import urlpatterns as pairing_patterns
from .programmes.urls import urlpatterns as programme_patterns
from .projects.urls import urlpatterns as project_patterns
from .registry import views as registry
from .visits.urls import urlpatterns as visit_patterns

app_name = "outreach"

urlpatterns = [
    path("needy/", registry.needy_list, name="needy-list"),
    path("needy/new/", registry.needy_create, name="needy-create"),
    path("needy/duplicates/", registry.needy_duplicates, name="needy-duplicates"),
    path("needy/export.<str:fmt>", registry.needy_export, name="needy-export"),
    path("needy/<int:pk>/", registry.needy_detail, name="needy-detail"),
    path("needy/<int:pk>/edit/", registry.needy_edit, name="needy-edit"),
    path("needy/<int:pk>/status/", registry.needy_status, name="needy-status"),
    path("needy/<int:pk>/reveal/<str:field>/", registry.needy_reveal, name="needy-reveal"),
    path("needy/<int:pk>/merge/", registry.needy_merge, name="needy-merge"),
    path("categories/", registry.category_list, name="categories"),
    path("categories/<int:pk>/active/", registry.category_active, name="category-active"),
    *visit_patterns,
    *project_patterns,
    *pairing_patterns,
    *programme_patterns,
]
