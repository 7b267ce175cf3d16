"""The running program: config, logs, wiring and serve at the top; telegram/, processes/, delivery/,
documents/, i18n/, cli/, console/, demo/ and web/ as rooms (see the README, "How it is built")."""
