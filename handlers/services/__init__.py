"""Use cases: each opens a unit of work, applies the rules, records events and owed messages, commits."""
