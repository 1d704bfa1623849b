"""From contributions to candidate building blocks."""
