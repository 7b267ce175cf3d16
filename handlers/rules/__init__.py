"""Pure rules: ticket states, deadlines in working time, the ladder, reconciliation."""
