# SPDX-License-Identifier: AGPL-3.0-or-later
"""What vouchers talks to: PostgreSQL read models, documents (PDF, CSV), the payment provider."""
