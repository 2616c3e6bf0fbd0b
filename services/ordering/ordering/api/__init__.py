"""The ordering HTTP API."""
