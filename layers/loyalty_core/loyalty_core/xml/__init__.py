"""XML for the partner interfaces: one hardened parser, and a codec per protocol."""
