"""Invoice service: invoices over HTTP, events through a transactional outbox."""
