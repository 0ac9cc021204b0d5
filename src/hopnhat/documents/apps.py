from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "hopnhat.documents"
    label = "documents"
    verbose_name = "Văn bản (Documents)"

    def ready(self):
        from hopnhat.core.navigation import NavItem, register

        from . import importers  # noqa: F401 — registers documents.document, .history, .attachment with the engine

        register(NavItem("documents:register", "Văn bản", "Documents", staff_only=True, order=40,
                         description_vi="Sổ văn bản đến, đi; xử lý, phân công, tra cứu số cũ",
                         description_en="Incoming and outgoing registers; processing, assignment, old numbers"))
        register(NavItem("documents:dashboard", "Văn bản quá hạn", "Overdue documents", staff_only=True, order=41,
                         description_vi="Văn bản đến quá hạn giải quyết theo từng phòng",
                         description_en="Incoming documents past their due date, by department"))
