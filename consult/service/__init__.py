"""The event-driven service: what is due for a round now, and what comes next."""
