"""Pure voucher rules: programmes, purchases, vouchers, campaigns. No I/O, no framework."""
