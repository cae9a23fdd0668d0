"""Placement (S10, S16): every member has a unit where they take part in the campaign; the
rule, the suggestion of a nearby unit with room, and the worklist of members not yet placed."""
