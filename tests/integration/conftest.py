"""Fixtures of the integration tests beyond tests/conftest.py's."""

from tests.webhook_aws import aws_webhooks

__all__ = ["aws_webhooks"]
