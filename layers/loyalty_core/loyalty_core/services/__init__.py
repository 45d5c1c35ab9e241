"""Use cases: each takes a repository and the caller, and applies the rules."""
