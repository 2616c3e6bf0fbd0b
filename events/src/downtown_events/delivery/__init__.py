# SPDX-License-Identifier: Apache-2.0
"""The arithmetic of the town's delivery terms, pure and shared: whether a zone covers a door
(:mod:`.zones`), what a delivery costs and who pays (:mod:`.fees`), which slots a week offers
(:mod:`.slots`), on coordinates (:mod:`.geo`), and the published terms turned into these
(:mod:`.terms`). Dispatch plans with them, ordering prices a checkout with them, the catalog
says who delivers where with them, and an integrator may compute the same fee: one way.
"""
