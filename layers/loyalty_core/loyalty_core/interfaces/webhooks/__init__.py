"""The webhook subscriptions JSON:API interface (SPEC 13)."""
