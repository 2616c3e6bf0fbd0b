"""Pure order rules: baskets, checkout, the order state machine, invoices. No I/O, no framework."""
