"""The web app: invitee pages (/i/…) and, later, the workplace."""
