"""HTTP adapters."""
