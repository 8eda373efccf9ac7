"""Business logic: invoicing, settlement and the outbox relay."""
