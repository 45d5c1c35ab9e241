"""A company's memberships as files (CSV, JSON Lines): the import and export codec, and the
jobs that run them deployed."""
