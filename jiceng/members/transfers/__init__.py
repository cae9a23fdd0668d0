"""Transfers of organisational relationship (组织关系转接): a state machine from request to
receipt, within the city and to outside it, one by one or in bulk (S10, S16, S17)."""
