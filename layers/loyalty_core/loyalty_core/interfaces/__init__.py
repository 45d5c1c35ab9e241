"""The partner interfaces: one folder each (HTTP edge and codec), and what they share."""
