"""Abstract models every app may build on. The kernel has no tables of its own."""

from typing import Self

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kernel.memo import memoized

# The largest primary key (a bigint): ids outside 1..ID_MAX are not found, never an overflow.
ID_MAX = 2**63 - 1


class SingletonSettings(models.Model):
    """A settings model with exactly one row (pk 1, which the database guarantees), edited in
    admin through kernel.admin.SingletonAdmin. `get()` reads it, creating it with its defaults
    the first time; `cached()` reads it once per memo scope (a batch of deliveries), for code
    every event reaches: the instance is shared, so read it and never change it."""

    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="%(class)s_single_row")]

    @classmethod
    def get(cls) -> Self:
        found, _created = cls.objects.get_or_create(pk=1)
        return found

    @classmethod
    def cached(cls) -> Self:
        return memoized(f"singleton:{cls._meta.label_lower}", cls.get)
