"""Workplace accounts: password hashing and rules, TOTP second factors, lockout and session
expiry. Pure functions and small value types; the use cases in consult/app/accounts.py store
their outcome."""
