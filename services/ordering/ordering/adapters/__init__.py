"""What ordering talks to: PostgreSQL read models, SMTP, documents (invoices)."""
