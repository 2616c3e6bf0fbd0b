# SPDX-License-Identifier: AGPL-3.0-or-later
"""Downtown's dispatch service."""
