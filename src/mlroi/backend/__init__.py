"""The only code that builds and runs backend queries: one executor, capabilities, checks, requests."""
