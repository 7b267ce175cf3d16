"""`wuye demo`: the main story, public revenue and supervision, offline on a controlled clock."""
