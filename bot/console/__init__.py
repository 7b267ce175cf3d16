"""The core in a terminal (`wuye chat`): buttons as numbered choices, one person at a time."""
