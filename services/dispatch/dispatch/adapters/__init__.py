# SPDX-License-Identifier: AGPL-3.0-or-later
"""What talks to the world other than through the kit: files, mail, other protocols."""
