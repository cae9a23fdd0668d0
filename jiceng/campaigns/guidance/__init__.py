"""Classified guidance (分类指导, S14, S15) and the unit's own plan from it (S7); pilot units and
the lessons they record for the next batch (S5)."""
