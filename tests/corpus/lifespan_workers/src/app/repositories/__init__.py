"""SQL access to the inventory tables."""
