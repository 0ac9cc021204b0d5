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
        from hopnhat.core.lang import vi_en
        from hopnhat.core.schedule import Job
        from hopnhat.core.schedule import register as schedule

        schedule(Job("mail-notices", ("mail", "notices"), "*-*-* *:*:00", vi_en(
            "Mỗi phút báo địa chỉ mới cho người gửi tới địa chỉ cũ (một lần mỗi người gửi trong thời hạn chuyển tiếp)",
            "Every minute, tell senders to an old address the new one (once per sender per forwarding period)")))
        schedule(Job("mail-publish", ("mail", "publish"), "*-*-* 00:00:30 Asia/Ho_Chi_Minh", vi_en(
            "Sau nửa đêm (giờ Việt Nam) ghi lại bảng Postfix/Dovecot: địa chỉ cũ hết thời hạn chuyển tiếp chuyển từ "
            "aliases sang relocated",
            "Just after midnight (Vietnam time) write the Postfix/Dovecot maps again: old addresses whose forwarding "
            "period ended move from aliases to relocated")))
        register(NavItem("directory:home", "Danh bạ", "Directory", order=40,
                         description_vi="Danh bạ điện tử của cơ quan, đơn vị sau hợp nhất",
                         description_en="Who is who in the merged organisation, with contact points"))
        register(NavItem("mail:addresses", "Địa chỉ thư", "Mail addresses", staff_only=True, order=40,
                         description_vi="Địa chỉ thư công vụ của cán bộ, địa chỉ cũ và thời hạn chuyển tiếp",
                         description_en="Officials' mail addresses, old addresses and their forwarding periods"))
