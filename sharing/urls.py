"""The sharing pages of the portal (mounted by govdata/portal_urls.py under the namespace "portal")."""

urlpatterns = []
