"""The ordering read models, rebuilt from the log."""
