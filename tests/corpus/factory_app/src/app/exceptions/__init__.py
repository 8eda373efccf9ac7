"""Domain exceptions; the API maps them to HTTP responses."""


class InvoiceServiceError(Exception):
    """Base of every error the service raises on purpose.

    Attributes:
        code: Machine-readable error code.
        status_code: HTTP status the API answers with.
    """

    code = "internal_error"
    status_code = 500

    def __init__(self, message: str) -> None:
        """Store the collaborators."""
        super().__init__(message)
        self.message = message


class InvoiceNotFoundError(InvoiceServiceError):
    """No invoice has the requested id."""

    code = "invoice_not_found"
    status_code = 404


class InvoiceAlreadyPaidError(InvoiceServiceError):
    """A payment arrived for an invoice that is already settled."""

    code = "invoice_already_paid"
    status_code = 409


class PublishError(InvoiceServiceError):
    """An event could not be handed to Kafka."""

    code = "publish_failed"
    status_code = 503
