from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "hopnhat.org"
    label = "org"
    verbose_name = "Đơn vị, cơ quan, con người"

    def ready(self):
        from hopnhat.core.audit import register_model
        from hopnhat.core.navigation import NavItem, register

        from .models import Agency, AgencySuccession, RoleAssignment

        # Roles, agencies and the agency crosswalk (closed → successor) are audited however they change.
        register_model(RoleAssignment)
        register_model(Agency, exclude={"path", "name_key"})
        register_model(AgencySuccession)

        register(NavItem(
            "org:unit-lookup", "Tra cứu đơn vị hành chính", "Administrative unit look-up", order=40,
            description_vi="Xã, huyện, tỉnh cũ nay thuộc đơn vị nào sau ngày 01/7/2025.",
            description_en="Which unit an old commune, district or province belongs to since 1 July 2025.",
        ))
