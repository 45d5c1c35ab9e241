"""Development and operations tools: the local HTTP front and the admin CLI (not shipped)."""
