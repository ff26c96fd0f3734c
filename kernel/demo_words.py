"""The demo shop's own words in every language: the demo seeds (`seed_demo_<app>`) write the
translations of the rows they made, found by their English name."""

from django.conf import settings


def translations_set(model, name: str, words: dict[str, str | None]) -> bool:
    """Give the row of `model` whose default-language (English) name is `name` its words in
    the other languages (`{"name_fa": "طلایی", "perks_fa": ...}`; None leaves one blank),
    writing only what differs, so a second run changes no row (no `updated_at` moves, no
    earning rule version). Nothing when there is no such row. Returns whether it wrote."""
    row = model.objects.filter(**{f"name_{settings.MODELTRANSLATION_DEFAULT_LANGUAGE}": name}
                               ).first()
    if row is None:
        return False
    changes = {field: text for field, text in words.items() if getattr(row, field) != text}
    if changes:
        model.objects.filter(pk=row.pk).update(**changes)
    return bool(changes)
