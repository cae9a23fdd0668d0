"""Songnan town's "four lets" coverage (四让, S8): two figures computed from the data, two
entered by the unit until surveys give them."""
