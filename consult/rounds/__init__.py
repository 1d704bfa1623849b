"""Round lifecycle: the spec a round is launched from, launching, answers and status."""
