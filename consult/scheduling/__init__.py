"""Placing accepted invitees into theme sessions."""
