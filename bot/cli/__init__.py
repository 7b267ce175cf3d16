"""The `wuye` command (main.py) and its groups of subcommands: load, people, report, revenue."""
