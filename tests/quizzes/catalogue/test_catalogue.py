"""The product catalog: the import command, product images, the selector and the admin."""

import io
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from PIL import ExifTags, Image

from kernel.errors import InvalidImage
from quizzes.catalogue import services
from quizzes.catalogue.images import image_clean
from quizzes.catalogue.selectors import catalog_for_engine
from quizzes.engine import ProductInfo
from quizzes.errors import InvalidProduct
from quizzes.models import Product
from tests.factories import ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = "sku,name,url,price,currency,tags,in_stock,active,consumable,image\n"


def import_products(path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_products", str(path), stdout=out, stderr=err, verbosity=0)
    return out.getvalue(), err.getvalue()


def import_expecting_skips(path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match="skipped"):
        call_command("import_products", str(path), stdout=out, stderr=err, verbosity=0)
    return out.getvalue(), err.getvalue()


def photo(size=(600, 300), fmt="JPEG", *, gps=False, orientation=None, mode="RGB") -> bytes:
    """A generated photo, optionally with EXIF GPS position and orientation."""
    image = Image.new(mode, size, (200, 30, 30, 255)[: len(mode)])
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        gps_ifd = exif.get_ifd(ExifTags.IFD.GPSInfo)
        gps_ifd[ExifTags.GPS.GPSLatitudeRef] = "N"
        gps_ifd[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
        gps_ifd[ExifTags.GPS.GPSLongitudeRef] = "E"
        gps_ifd[ExifTags.GPS.GPSLongitude] = (2.0, 21.0, 3.0)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **({"exif": exif} if len(exif) else {}))
    return buffer.getvalue()


def csv_with_image(tmp_path: Path, image_name: str, content: bytes, sku="SERUM-30") -> Path:
    (tmp_path / "photos").mkdir(exist_ok=True)
    (tmp_path / "photos" / image_name).write_bytes(content)
    path = tmp_path / "products.csv"
    path.write_text(HEADER + f"{sku},Serum,https://shop.example.com/p/serum,29.95,EUR,oily,"
                    f"true,true,false,photos/{image_name}\n")
    return path


# import_products


def test_import_creates_products_and_reports_each_bad_row_by_line():
    out, err = import_expecting_skips(FIXTURES / "products.csv")

    assert "3 created, 0 updated, 0 unchanged, 7 skipped." in out
    assert "line 5: price:" in err
    assert "line 6: currency:" in err and "EUX" in err
    assert "line 7: sku:" in err
    assert "line 8: tags:" in err and "oily skin" in err
    assert "line 9: in_stock:" in err and "maybe" in err
    assert "line 10: url:" in err
    assert "line 11: image:" in err and "missing.jpg" in err
    assert sorted(Product.objects.values_list("sku", flat=True)) == [
        "CLEANSER", "MASK", "SERUM-30"]
    serum = Product.objects.get(sku="SERUM-30")
    assert serum.price == Decimal("29.95")
    assert serum.tags == ["hydrating", "oily"]
    assert serum.url == "https://shop.example.com/p/serum-30"
    cleanser = Product.objects.get(sku="CLEANSER")
    assert (cleanser.currency, cleanser.tags, cleanser.consumable) == ("EUR", ["daily", "oily"],
                                                                        True)
    mask = Product.objects.get(sku="MASK")
    assert (mask.in_stock, mask.active, mask.consumable) == (False, True, False)


def test_importing_the_same_file_again_changes_nothing():
    import_expecting_skips(FIXTURES / "products.csv")
    stamps = dict(Product.objects.values_list("sku", "updated_at"))

    out, _ = import_expecting_skips(FIXTURES / "products.csv")

    assert "0 created, 0 updated, 3 unchanged, 7 skipped." in out
    assert dict(Product.objects.values_list("sku", "updated_at")) == stamps


def test_a_changed_row_updates_only_that_product(tmp_path):
    import_expecting_skips(FIXTURES / "products.csv")
    lines = (FIXTURES / "products.csv").read_text().splitlines()[:4]
    lines[3] = lines[3].replace("18.00", "16.00").replace(",humid,", ",humid|oily,")
    path = tmp_path / "products.csv"
    path.write_text("\n".join(lines) + "\n")

    out, err = import_products(path)

    assert "0 created, 1 updated, 2 unchanged, 0 skipped." in out
    assert err == ""
    mask = Product.objects.get(sku="MASK")
    assert (mask.price, mask.tags) == (Decimal("16.00"), ["humid", "oily"])


def test_a_variant_id_column_is_read_and_may_be_left_out(tmp_path):
    """Shopify's cart takes the variant's id, not the SKU: a catalog may carry it."""
    path = tmp_path / "products.csv"
    path.write_text(
        "sku,name,url,price,currency,variant_id\n"
        "GEL,Clarifying gel,https://shop.example.com/p/gel,12.00,EUR, 44719210053907 \n"
        "BALM,Rich balm,https://shop.example.com/p/balm,20.00,EUR,\n")

    out, err = import_products(path)

    assert "2 created" in out and err == ""
    assert dict(Product.objects.values_list("sku", "variant_id")) == {
        "GEL": "44719210053907", "BALM": ""}


def test_a_csv_without_a_required_column_is_refused(tmp_path):
    path = tmp_path / "products.csv"
    path.write_text("sku,name,price\nA,Serum,10\n")

    with pytest.raises(CommandError, match="url"):
        import_products(path)
    assert not Product.objects.exists()


def test_import_stores_the_image_upright_without_metadata_and_a_thumbnail(tmp_path):
    original = photo(size=(1200, 600), gps=True, orientation=6)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    path = csv_with_image(tmp_path, "serum.jpg", original)

    out, _ = import_products(path)

    assert "1 created" in out
    serum = Product.objects.get(sku="SERUM-30")
    with serum.image.open("rb") as handle:
        stored = Image.open(handle)
        stored.load()
    assert stored.format == "JPEG"
    assert stored.size == (600, 1200)  # orientation 6: turned a quarter clockwise
    assert len(stored.getexif()) == 0
    assert "exif" not in stored.info
    with serum.thumbnail.open("rb") as handle:
        thumbnail = Image.open(handle)
        thumbnail.load()
    assert thumbnail.format == "WEBP"
    assert thumbnail.size == (200, 400)


def test_reimporting_the_same_image_is_unchanged_and_a_new_one_replaces_it(tmp_path):
    path = csv_with_image(tmp_path, "serum.jpg", photo())
    import_products(path)
    first_name = Product.objects.get(sku="SERUM-30").image.name

    out, _ = import_products(path)
    assert "0 created, 0 updated, 1 unchanged" in out

    (tmp_path / "photos" / "serum.jpg").write_bytes(photo(size=(500, 500)))
    out, _ = import_products(path)
    assert "0 created, 1 updated, 0 unchanged" in out
    serum = Product.objects.get(sku="SERUM-30")
    assert serum.image.name != first_name
    assert serum.image.width == 500


def test_a_text_file_named_jpg_is_refused_and_the_product_not_created(tmp_path):
    path = csv_with_image(tmp_path, "serum.jpg", b"this is not a picture\n" * 10)

    _, err = import_expecting_skips(path)

    assert "line 2: image: This file is not an image" in err
    assert not Product.objects.exists()


def test_a_bad_image_leaves_an_existing_product_as_it_was(tmp_path):
    ProductFactory(sku="SERUM-30", price=Decimal("10.00"))
    path = csv_with_image(tmp_path, "serum.jpg", b"GIF89a but not really")

    import_expecting_skips(path)

    assert Product.objects.get(sku="SERUM-30").price == Decimal("10.00")


# images


def test_an_image_above_the_byte_limit_is_refused(settings, tmp_path):
    settings.PRODUCT_IMAGE_MAX_BYTES = 5000
    buffer = io.BytesIO()
    Image.effect_noise((200, 200), 64).save(buffer, format="PNG")
    assert len(buffer.getvalue()) > 5000
    path = csv_with_image(tmp_path, "serum.png", buffer.getvalue())

    _, err = import_expecting_skips(path)

    assert "line 2: image: The image is" in err
    assert "the largest accepted is 4.9" in err
    assert not Product.objects.exists()


def test_an_image_above_the_pixel_limit_is_refused(monkeypatch):
    monkeypatch.setattr("quizzes.catalogue.images.MAX_PIXELS", 100 * 100)

    with pytest.raises(InvalidImage, match="101×100 pixels"):
        image_clean(file=ContentFile(photo(size=(101, 100)), name="wide.jpg"))
    assert image_clean(file=ContentFile(photo(size=(100, 100)), name="ok.jpg")).width == 100


def test_an_image_format_outside_the_list_is_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buffer, format="BMP")

    with pytest.raises(InvalidImage, match="BMP images are not accepted"):
        image_clean(file=ContentFile(buffer.getvalue(), name="old.bmp"))


def test_a_truncated_image_is_refused():
    content = photo(size=(400, 400))

    with pytest.raises(InvalidImage):
        image_clean(file=ContentFile(content[: len(content) // 2], name="cut.jpg"))


@pytest.mark.parametrize(("fmt", "mode", "stored"), [
    ("PNG", "RGBA", "png"), ("WEBP", "RGB", "webp"), ("GIF", "P", "png"),
])
def test_png_webp_and_gif_are_accepted(fmt, mode, stored):
    clean = image_clean(file=ContentFile(photo(size=(800, 200), fmt=fmt, mode=mode), name="x"))

    assert clean.extension == stored
    assert Image.open(io.BytesIO(clean.thumbnail)).size == (400, 100)


def test_product_image_set_replaces_and_removes_the_files(django_capture_on_commit_callbacks):
    product = ProductFactory(sku="SERUM-30")
    services.product_image_set(product=product, image=ContentFile(photo(), name="a.jpg"))
    storage, old_image = product.image.storage, product.image.name
    assert storage.exists(old_image)

    with django_capture_on_commit_callbacks(execute=True):
        services.product_image_set(product=product, image=None)

    product.refresh_from_db()
    assert not product.image and not product.thumbnail
    assert not storage.exists(old_image)


def test_product_upsert_reports_every_bad_field():
    with pytest.raises(InvalidProduct) as caught:
        services.product_upsert(sku="X", name="", url="nope", price=Decimal("-1"),
                                currency="ZZZ", tags=["ok", "not ok"])

    assert set(caught.value.fields) == {"name", "url", "price", "currency", "tags"}
    assert caught.value.code == "invalid_product"
    assert not Product.objects.exists()


def test_the_database_refuses_a_negative_price_or_a_lowercase_currency():
    from django.db import IntegrityError, transaction

    for values in ({"price": Decimal("-1")}, {"currency": "eur"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            ProductFactory(**values)


# selector


def test_catalog_for_engine_reads_buyable_products_in_one_query(django_assert_num_queries):
    ProductFactory(sku="A", tags=["oily"], price=Decimal("5.00"), consumable=True)
    ProductFactory(sku="B", active=False)
    ProductFactory(sku="C", in_stock=False)
    ProductFactory.create_batch(20)

    with django_assert_num_queries(1):
        catalog = catalog_for_engine()

    assert len(catalog) == 21
    assert catalog[0] == ProductInfo(sku="A", price=Decimal("5.00"), tags=frozenset({"oily"}),
                                     consumable=True)


# admin


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_product_changelist_loads(staff_client):
    ProductFactory(sku="SERUM-30", name="Hydrating serum")

    response = staff_client.get("/admin/quizzes/product/?q=serum")

    assert response.status_code == 200
    assert "SERUM-30" in response.content.decode()


def admin_add(staff_client, image_bytes: bytes, name: str):
    return staff_client.post("/admin/quizzes/product/add/", {
        "sku": "SERUM-30", "name": "Serum", "url": "https://shop.example.com/p/serum",
        "price": "29.95", "currency": "EUR", "tags": "Oily, hydrating", "in_stock": "on",
        "active": "on", "image": SimpleUploadedFile(name, image_bytes),
    })


def test_admin_adds_a_product_with_a_cleaned_image(staff_client):
    response = admin_add(staff_client, photo(gps=True), "serum.jpg")

    assert response.status_code == 302
    serum = Product.objects.get(sku="SERUM-30")
    assert serum.tags == ["hydrating", "oily"]
    assert serum.thumbnail
    with serum.image.open("rb") as handle:
        assert len(Image.open(handle).getexif()) == 0
    assert staff_client.get(f"/admin/quizzes/product/{serum.pk}/change/").status_code == 200


def test_admin_refuses_a_file_that_is_not_an_image(staff_client):
    response = admin_add(staff_client, b"%PDF-1.4 not an image", "serum.jpg")

    assert response.status_code == 200
    assert not Product.objects.exists()
    assert "image" in response.context["adminform"].form.errors


def test_admin_edit_keeps_the_image_unless_cleared(staff_client):
    admin_add(staff_client, photo(), "serum.jpg")
    serum = Product.objects.get(sku="SERUM-30")
    form = {"name": "Serum", "url": serum.url, "price": "24.00", "currency": "EUR",
            "tags": "oily", "in_stock": "on", "active": "on"}
    url = f"/admin/quizzes/product/{serum.pk}/change/"

    assert staff_client.post(url, form).status_code == 302
    serum.refresh_from_db()
    assert (serum.price, serum.tags, bool(serum.image)) == (Decimal("24.00"), ["oily"], True)

    assert staff_client.post(url, {**form, "image-clear": "on"}).status_code == 302
    serum.refresh_from_db()
    assert not serum.image and not serum.thumbnail
