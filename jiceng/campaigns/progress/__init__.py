"""The campaign itself: a batch with its phases, steps and indicators (S1, S2, S30), the
subtrees taking part, and each unit's progress through the steps with the parent's sign-off;
the roll-ups by subtree and sector and the lagging list. The other workflows of a campaign
(``guidance``, ``chains``, ``coverage``, ``practices``) hang from its campaign and units."""
