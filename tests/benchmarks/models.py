from django.db import models
from django.utils import timezone


class Hit(models.Model):
    """A row the baseline endpoint inserts, then updates: the least a write API can do."""

    label = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True)

    def __str__(self):
        return self.label
