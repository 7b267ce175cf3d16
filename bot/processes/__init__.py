"""How `wuye run` runs: the core in processes of its own, the frozen heap, one instance per database."""
