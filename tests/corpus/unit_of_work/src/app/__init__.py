"""Notes service built around a Unit of Work."""
