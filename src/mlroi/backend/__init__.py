"""The only code that builds and runs backend queries: executor, capabilities, checks, requests."""
