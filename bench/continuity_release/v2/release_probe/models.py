"""Release 2 of the probe: the notice gains a note (nullable: release 1, still serving, never writes it)."""

from django.db import models


class Notice(models.Model):
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=200, null=True, blank=True)
