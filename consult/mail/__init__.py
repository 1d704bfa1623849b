"""Outgoing mail: MIME construction (pure), SMTP delivery, and a local .eml sink for demos/tests."""
