"""Inventory errors."""


class InventoryError(Exception):
    """Root of the service's own errors."""

    status = 500
    kind = "inventory_error"


class ProductNotFound(InventoryError):
    """No product matches."""

    status = 404
    kind = "product_not_found"


class DuplicateSku(InventoryError):
    """A product with this SKU exists already."""

    status = 409
    kind = "duplicate_sku"


class InsufficientStock(InventoryError):
    """Not enough stock on hand for a reservation."""

    status = 409
    kind = "insufficient_stock"
