"""What vouchers talks to: PostgreSQL read models, documents (PDF, CSV), the payment provider."""
