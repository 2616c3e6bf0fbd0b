"""The vouchers use cases: command handlers and process managers."""
