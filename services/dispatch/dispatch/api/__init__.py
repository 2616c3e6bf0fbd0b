# SPDX-License-Identifier: AGPL-3.0-or-later
"""The HTTP API (FastAPI routers on the kit's service app)."""
