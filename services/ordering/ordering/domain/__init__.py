"""Pure order rules: baskets, checkout, the order state machine, invoices, customer accounts. No I/O, no framework."""
