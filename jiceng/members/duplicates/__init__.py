"""Likely duplicate member records: found per district, merged with an undo, or judged to be
two people (issue 4, item 5)."""
