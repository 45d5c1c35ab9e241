"""Logging for every handler, configured by POWERTOOLS_* environment variables."""

from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger()
