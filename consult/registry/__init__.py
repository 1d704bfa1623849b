"""Registry of invitees: reading the secretariat's CSV or Excel file."""
