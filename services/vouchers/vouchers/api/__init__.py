"""The vouchers HTTP API."""
