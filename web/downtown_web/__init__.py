# SPDX-License-Identifier: AGPL-3.0-or-later
"""Downtown's web front: the pages people see, over the four services' public HTTP APIs."""
