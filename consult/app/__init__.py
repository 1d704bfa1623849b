"""The application layer: one module per use case. The CLI, the web app and the Prefect flows
parse their input, open a unit of work, call a use case here and present what it returns.
Round status changes only in `lifecycle`."""
