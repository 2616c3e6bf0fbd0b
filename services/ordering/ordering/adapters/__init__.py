# SPDX-License-Identifier: AGPL-3.0-or-later
"""What ordering talks to: PostgreSQL read models and documents (invoices); its e-mails go out
through the kit's mail outbox (``downtown_events.runtime.mail_outbox``)."""
