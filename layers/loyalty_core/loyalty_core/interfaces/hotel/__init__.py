"""The Travelport Universal API hotel LoyaltyCard enrichment interface (XML)."""
