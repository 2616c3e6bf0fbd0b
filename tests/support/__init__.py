"""Helpers shared by the tests and the benchmarks: throw-away towns on the local stack."""
