from django.apps import AppConfig


class MailConfig(AppConfig):
    name = "hopnhat.mail"
    label = "mail"
    verbose_name = "Thư điện tử và danh bạ (Mail and directory)"

    def ready(self):
        from hopnhat.consolidation.cutover import register_cutover_hook
        from hopnhat.core.navigation import NavItem, register

        from . import forwards, importers, signals  # noqa: F401 — importers register mail.old_addresses

        for system_type in forwards.SYSTEM_TYPES:
            register_cutover_hook(system_type, on_switch=forwards.on_switch, on_route_back=forwards.on_route_back)
        register(NavItem("directory:home", "Danh bạ", "Directory", order=40,
                         description_vi="Danh bạ điện tử của cơ quan, đơn vị sau hợp nhất",
                         description_en="Who is who in the merged organisation, with contact points"))
        register(NavItem("mail:addresses", "Địa chỉ thư", "Mail addresses", staff_only=True, order=40,
                         description_vi="Địa chỉ thư công vụ của cán bộ, địa chỉ cũ và thời hạn chuyển tiếp",
                         description_en="Officials' mail addresses, old addresses and their forwarding periods"))
