# SPDX-License-Identifier: AGPL-3.0-or-later
"""The catalog's business rules, pure: state is a fold of events, commands decide events.

No I/O and no framework here: only the standard library, pydantic and the event
contracts (themselves pure pydantic), so every rule is tested in microseconds.
"""
