"""Staff admin for the product catalog. Saving goes through the catalog services."""

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy

from kernel.errors import InvalidImage
from quizzes.catalogue import services
from quizzes.catalogue.images import image_clean
from quizzes.models import Product


def image_preview(image) -> str:
    """A stored image (a product's, a choice's) small on an admin page, or a dash."""
    if not image:
        return "—"
    return format_html('<img src="{}" alt="" style="max-block-size: 64px">', image.url)


class TagsField(forms.CharField):
    """Tags typed as "oily-skin, vegan", stored as a list."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        return services.tags_normalise(text.replace(";", ",").replace("|", ",").split(","))


class ProductForm(forms.ModelForm):
    url = forms.URLField(
        label=gettext_lazy("product page"), max_length=500, assume_scheme="https",
        help_text=gettext_lazy("The product's page on the shop."),
    )
    tags = TagsField(
        label=gettext_lazy("tags"), required=False,
        help_text=gettext_lazy("Lower-case slugs separated by commas, e.g. oily-skin, vegan."),
    )

    class Meta:
        model = Product
        fields = ["sku", "name", "url", "variant_id", "price", "currency", "tags", "image",
                  "in_stock", "active", "consumable", "min_tier"]

    def clean_image(self):
        image = self.cleaned_data.get("image")
        if image and "image" in self.changed_data:
            try:
                image_clean(file=image)
            except InvalidImage as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from exc
        return image


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductForm
    list_display = ["sku", "name", "price", "currency", "in_stock", "active", "consumable",
                    "thumbnail_preview"]
    list_filter = ["active", "in_stock", "consumable", "currency", "min_tier"]
    search_fields = ["sku", "name"]
    readonly_fields = ["thumbnail_preview", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # Products are matched by SKU on import: changing it would make a new product there.
        if obj is not None:
            return ["sku", *self.readonly_fields]
        return self.readonly_fields

    @admin.display(description=gettext_lazy("thumbnail"))
    def thumbnail_preview(self, obj):
        return image_preview(obj.thumbnail)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        image = data.get("image")
        # The form ran the model's own checks already, so this does not raise.
        product, _outcome = services.product_upsert(
            sku=obj.sku, name=data["name"], url=data["url"], price=data["price"],
            currency=data["currency"], tags=data["tags"], in_stock=data["in_stock"],
            active=data["active"], consumable=data["consumable"],
            image=image if image and "image" in form.changed_data else None,
        )
        if image is False:  # the "clear" box was ticked
            services.product_image_set(product=product, image=None)
        services.product_min_tier_set(product=product, tier=data.get("min_tier"))
        obj.pk = product.pk
        obj.refresh_from_db()
