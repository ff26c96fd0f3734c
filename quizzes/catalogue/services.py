"""Every write to the product catalog. Admin, the import command and the API call these."""

import enum
import functools
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kernel.errors import InvalidImage, flatten_errors
from quizzes.catalogue.images import CleanImage, file_sha256, image_clean
from quizzes.errors import InvalidProduct
from quizzes.models import Product

IMAGE_FIELDS = ["image", "thumbnail", "image_source_sha256", "updated_at"]


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def tags_normalise(tags: Iterable[str]) -> list[str]:
    """Tags as stored: lower-case, blanks dropped, each once, sorted."""
    return sorted({tag.strip().lower() for tag in tags if tag and tag.strip()})


def product_upsert(
    *,
    sku: str,
    name: str,
    url: str,
    price: Decimal,
    currency: str,
    tags: Iterable[str] = (),
    in_stock: bool = True,
    active: bool = True,
    consumable: bool = False,
    image: File | None = None,
    variant_id: str = "",
) -> tuple[Product, Outcome]:
    """Create or update the product with this SKU, and say which happened.

    Values are normalised (tags lower-case, sorted, each once; currency upper-case) and
    checked as admin checks them (tags are slugs such as oily-skin, the currency an ISO 4217
    code, the image a real image within the limits of `image_clean`). A product whose values
    are all the same is not written at all, so importing the same file twice changes nothing.
    `image` None leaves the image as it is; the same image file again is not processed again.
    Nothing is written when anything is invalid."""
    sku = (sku or "").strip()
    values = {
        "name": (name or "").strip(),
        "url": (url or "").strip(),
        "variant_id": (variant_id or "").strip(),
        "price": price,
        "currency": (currency or "").strip().upper(),
        "tags": tags_normalise(tags),
        "in_stock": in_stock,
        "active": active,
        "consumable": consumable,
    }
    clean: CleanImage | None = None
    source_sha256 = image_error = ""
    if image is not None:
        source_sha256 = file_sha256(image)
        known = Product.objects.filter(sku=sku).values_list("image_source_sha256", flat=True)
        if source_sha256 not in known:
            try:
                clean = image_clean(file=image)
            except InvalidImage as exc:
                image_error = exc.message

    # Two first imports of one SKU at once both find no row and both insert; the database's
    # unique SKU lets one win, and the other then runs again as an update of the winner's row.
    try:
        return _product_write(sku, values, clean, source_sha256, image_error)
    except IntegrityError:
        if not Product.objects.filter(sku=sku).exists():
            raise
    return _product_write(sku, values, clean, source_sha256, image_error)


def _product_write(sku: str, values: dict, clean: CleanImage | None, source_sha256: str,
                   image_error: str) -> tuple[Product, Outcome]:
    stored: list[str] = []
    try:
        with transaction.atomic():
            found = Product.objects.select_for_update().filter(sku=sku).first()
            outcome = Outcome.UPDATED if found is not None else Outcome.CREATED
            product = found if found is not None else Product(sku=sku)
            changed = [name for name, value in values.items() if getattr(product, name) != value]
            image_changed = clean is not None and product.image_source_sha256 != source_sha256
            if outcome == Outcome.UPDATED and not (changed or image_changed or image_error):
                return product, Outcome.UNCHANGED
            for field_name in changed:
                setattr(product, field_name, values[field_name])
            errors: dict[str, str] = {}
            try:
                # The SKU's uniqueness is the database's to enforce (see product_upsert).
                product.full_clean(validate_unique=False)
            except ValidationError as exc:
                errors = flatten_errors(exc.message_dict)
            if image_error:
                errors["image"] = image_error
            if errors:
                raise InvalidProduct(_("The product is not valid."), fields=errors)
            if image_changed:
                _image_store(product, clean, source_sha256)
                stored = [product.image.name, product.thumbnail.name]
            product.save()
    except IntegrityError:
        for name in stored:  # files written for a row that was not
            product.image.storage.delete(name)
        raise
    return product, outcome


def product_image_set(*, product: Product, image: File | None) -> Product:
    """Replace the product's image and thumbnail with this one, checked and stripped of its
    metadata (see `image_clean`); None removes them. Old files are deleted after commit."""
    if image is None:
        clean, source_sha256 = None, ""
    else:
        source_sha256 = file_sha256(image)
        if source_sha256 == product.image_source_sha256:
            return product
        clean = image_clean(file=image)
    with transaction.atomic():
        _image_store(product, clean, source_sha256)
        product.save(update_fields=IMAGE_FIELDS)
    return product


def _image_store(product: Product, clean: CleanImage | None, source_sha256: str) -> None:
    old = [f.name for f in (product.image, product.thumbnail) if f]
    if clean is None:
        product.image = product.thumbnail = ""
    else:
        stem = f"{slugify(product.sku) or 'product'}-{source_sha256[:12]}"
        product.image.save(f"{stem}.{clean.extension}", ContentFile(clean.content), save=False)
        product.thumbnail.save(f"{stem}.webp", ContentFile(clean.thumbnail), save=False)
    product.image_source_sha256 = source_sha256
    storage = product.image.storage
    kept = {product.image.name, product.thumbnail.name}
    for name in old:
        if name not in kept:
            transaction.on_commit(functools.partial(storage.delete, name))


def product_min_tier_set(*, product: Product, tier) -> Product:
    """Make the product VIP-only from this loyalty tier up (None: for everyone). Quizzes then
    recommend it only to signed-in customers whose tier's position is at least the tier's."""
    if product.min_tier_id != (tier.pk if tier else None):
        product.min_tier = tier
        product.save(update_fields=["min_tier", "updated_at"])
    return product
