"""`consult demo`: a whole round on one machine with a generated registry and simulated people."""
