"""Order service: an event-driven FastAPI microservice."""
