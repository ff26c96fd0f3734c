from django.contrib.admin.apps import AdminConfig


class FlywheelAdminConfig(AdminConfig):
    """django.contrib.admin, with the dashboard and the customer page (config/admin_site.py)."""

    default_site = "config.admin_site.FlywheelAdminSite"
