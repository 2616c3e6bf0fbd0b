# SPDX-License-Identifier: AGPL-3.0-or-later
"""What ordering talks to: PostgreSQL read models, SMTP, documents (invoices)."""
