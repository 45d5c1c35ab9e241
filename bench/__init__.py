"""`make bench`: the benchmark of SPEC 9. It measures and prints; it asserts nothing."""
