from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse("")


register_view = dashboard_view = lookup_view = rules_view = register_export_view = entry_view = act_view = _todo
