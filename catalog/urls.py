"""The catalogue pages of the portal (mounted by govdata/portal_urls.py under the namespace "portal")."""

from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="registration/login.html", redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("resources/", views.resource_list, name="resource_list"),
    path("resources/new/", views.resource_create, name="resource_create"),
    path("resources/<int:pk>/", views.resource_detail, name="resource_detail"),
    path("resources/<int:pk>/edit/", views.resource_edit, name="resource_edit"),
    path("resources/<int:pk>/submit/", views.resource_submit, name="resource_submit"),
    path("resources/<int:pk>/revise/", views.resource_revise, name="resource_revise"),
    path("duties/", views.duty_list, name="duty_list"),
    path("duties/new/", views.duty_create, name="duty_create"),
    path("duties/<int:pk>/", views.duty_edit, name="duty_edit"),
    path("systems/", views.system_list, name="system_list"),
    path("systems/new/", views.system_create, name="system_create"),
    path("systems/<int:pk>/", views.system_edit, name="system_edit"),
    path("catalogue/", views.catalogue_list, name="catalogue_list"),
    path("catalogue/<int:pk>/", views.catalogue_detail, name="catalogue_detail"),
    path("elements/", views.element_list, name="element_list"),
    path("elements/<int:pk>/claim/", views.element_claim, name="element_claim"),
    path("sources/", views.claim_list, name="claim_list"),
    path("sources/<int:pk>/withdraw/", views.claim_withdraw, name="claim_withdraw"),
    path("sources/duplicates/", views.duplicate_list, name="duplicate_list"),
]
