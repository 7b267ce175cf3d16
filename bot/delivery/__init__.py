"""What goes out and when: the outbox within Telegram's limits, the ladder's scheduler, `wuye status`."""
