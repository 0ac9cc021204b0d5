from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "hopnhat.core"
    label = "core"
    verbose_name = "Nền tảng chung"

    def ready(self):
        # Accounts and their permissions are privileged settings too: audited whichever way they change.
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group

        from .audit import register_model

        register_model(get_user_model(), exclude={"last_login"}, redact={"password"},
                       m2m=("groups", "user_permissions"))
        register_model(Group, m2m=("permissions",))
        from axes.models import AccessAttempt

        register_model(AccessAttempt, events=("delete",))   # clearing a lockout in the admin is an unlock

        from .lang import vi_en
        from .schedule import Job
        from .schedule import register as schedule

        schedule(Job("outbox-send", ("outbox", "send"), "*-*-* *:*:00", vi_en(
            "Gửi lại thông điệp đến hạn của mọi kênh gửi hệ thống quốc gia (DVCQG, thông báo cho công dân, báo cáo "
            "quốc gia) sau thời gian chờ; lần gửi đầu đi ngay khi thay đổi được ghi",
            "Send what is due on every outbox link (DVCQG, citizens' notices, national reporting) after its back-off; "
            "first attempts go out when the change commits")))
        schedule(Job("audit-checkpoint", ("audit", "checkpoint"), "*-*-* *:00:00", vi_en(
            "Mỗi giờ ghi điểm neo của chuỗi kiểm toán vào tệp chỉ ghi thêm; khoảng trống giữa các điểm neo cho thấy "
            "việc ghi đã dừng",
            "Hourly, anchor the audit chain's head in the write-once log; a gap between checkpoints shows they "
            "stopped")))
        schedule(Job("audit-verify", ("audit", "verify"), "*-*-* 03:30:00 Asia/Ho_Chi_Minh", vi_en(
            "Hằng ngày kiểm tra chuỗi kiểm toán với điểm neo mới nhất; lỗi (mã thoát khác 0) nêu mục đầu tiên bị sửa",
            "Daily, check the audit chain against the latest checkpoint; a failure (non-zero exit) names the first "
            "altered entry")))
        schedule(Job("backup", ("backup",), "*-*-* 01:30:00 Asia/Ho_Chi_Minh", vi_en(
            "Sao lưu logic hằng đêm (cơ sở dữ liệu, tệp, điểm neo) vào $HOPNHAT_VAR_DIR/backups, rồi xoá bản cũ "
            "theo HOPNHAT_BACKUP_KEEP (mặc định 7 ngày, 4 tuần, 12 tháng); chép ra máy khác",
            "Nightly logical backup (database, files, checkpoints) into $HOPNHAT_VAR_DIR/backups, then older ones "
            "pruned by HOPNHAT_BACKUP_KEEP (default 7 daily, 4 weekly, 12 monthly); copy it off the host")))
