"""The SAP Concur Travel Profile loyalty update interface (XML)."""
