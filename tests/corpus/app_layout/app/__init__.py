"""Helpdesk ticket service: HTTP API, transactional outbox and reply consumer."""
