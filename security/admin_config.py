from django.contrib.admin.apps import AdminConfig


class AgentAdminConfig(AdminConfig):
    """Django's admin, on a site that needs the second factor (security.admin_site)."""

    default_site = "security.admin_site.AgentAdminSite"
