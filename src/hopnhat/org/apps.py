from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "hopnhat.org"
    label = "org"
    verbose_name = "Đơn vị, cơ quan, con người"

    def ready(self):
        from hopnhat.core.navigation import NavItem, register

        register(NavItem(
            "org:unit-lookup", "Tra cứu đơn vị hành chính", "Administrative unit look-up", order=40,
            description_vi="Xã, huyện, tỉnh cũ nay thuộc đơn vị nào sau ngày 01/7/2025.",
            description_en="Which unit an old commune, district or province belongs to since 1 July 2025.",
        ))
