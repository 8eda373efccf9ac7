"""Service layer: use cases orchestrated through a Unit of Work."""
