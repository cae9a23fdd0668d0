"""Four-level responsibility chains (S6): a task at a unit owned at the unit and up to three
levels above, escalating one level a week once overdue."""
