"""The records the use cases work on: plain dataclasses, mapped to tables by storage, one module per idea."""
