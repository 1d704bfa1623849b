"""Calendar invitations (iTIP, RFC 5546) sent to consultation invitees."""
