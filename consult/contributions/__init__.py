"""Input from invitees: pre-session answers, session notes, lessons learned and proposals."""
