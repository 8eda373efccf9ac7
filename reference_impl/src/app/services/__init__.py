"""Business logic; framework-agnostic (no FastAPI imports)."""
