"""Reports for staff: per theme the building blocks and the contributions they rest on."""
