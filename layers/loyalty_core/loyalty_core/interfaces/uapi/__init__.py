"""The Travelport Universal API LoyaltyCard enrichment interface (XML): hotel, air and vehicle
requests, one codec per product over one shared one."""
