"""Release 1 of the probe: a notice with a title."""

from django.db import models


class Notice(models.Model):
    title = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
