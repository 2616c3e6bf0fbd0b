"""The vouchers read models, rebuilt from the log."""
