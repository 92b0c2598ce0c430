"""The review app's routes, one module per area; each has `register(site)`."""
