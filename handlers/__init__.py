"""What the bot does, free of frameworks: conversations, use cases and the pure rules."""
