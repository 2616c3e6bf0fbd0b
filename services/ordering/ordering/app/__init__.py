"""The ordering use cases: command handlers and the order saga's process manager."""
