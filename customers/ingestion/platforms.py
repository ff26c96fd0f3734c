"""Which parser reads which delivery source: one module per platform, each with
`parse(topic, content_type, body)` (and, for signed webhooks, `verify`, `topic`, `event_id`)."""

from types import ModuleType

from . import generic, shopify, woocommerce

PARSERS: dict[str, ModuleType] = {
    "generic": generic,
    "shopify": shopify,
    "woocommerce": woocommerce,
}
