"""The API reference page and the OpenAPI document it renders."""
