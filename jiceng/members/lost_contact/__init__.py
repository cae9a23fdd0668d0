"""Members out of contact (失去联系党员): contacts recorded, candidates after six months, and
the search for them from opening a case to its outcome (S13)."""
