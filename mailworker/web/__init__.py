"""The review console: a server-rendered Flask application over the worker's database."""

from __future__ import annotations

from mailworker.web.app import SecretError, WebConfig, create_app, load_secret_key

__all__ = ["SecretError", "WebConfig", "create_app", "load_secret_key"]
