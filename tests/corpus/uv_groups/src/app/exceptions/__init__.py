"""Domain errors, each mapped to one HTTP status by the handlers."""

from http import HTTPStatus


class InventoryError(Exception):
    """Base class; ``status`` is the HTTP status the API answers with."""

    status: HTTPStatus = HTTPStatus.BAD_REQUEST


class UnknownSku(InventoryError):
    """No item has this SKU."""

    status = HTTPStatus.NOT_FOUND

    def __init__(self, sku: str) -> None:
        super().__init__(f"no item with SKU {sku!r}")


class DuplicateSku(InventoryError):
    """An item with this SKU exists."""

    status = HTTPStatus.CONFLICT

    def __init__(self, sku: str) -> None:
        super().__init__(f"SKU {sku!r} is already registered")


class InsufficientStock(InventoryError):
    """An adjustment would make the quantity negative."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY

    def __init__(self, sku: str, quantity: int, delta: int) -> None:
        super().__init__(f"{sku}: cannot apply {delta} to quantity {quantity}")


class NotReady(InventoryError):
    """A dependency of the service is down."""

    status = HTTPStatus.SERVICE_UNAVAILABLE

    def __init__(self, dependency: str) -> None:
        super().__init__(f"{dependency} is not reachable")
