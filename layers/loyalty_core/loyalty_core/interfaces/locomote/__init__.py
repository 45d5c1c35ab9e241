"""The Locomote JSON:API interface: memberships and the provider catalog."""
