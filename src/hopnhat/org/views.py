from django.shortcuts import render


def unit_lookup(request):
    """Tra cứu đơn vị hành chính — filled in by the lineage work."""
    return render(request, "org/unit_lookup.html", {"query": request.GET.get("q", "")})
