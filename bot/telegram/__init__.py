"""The Telegram front ends (python-telegram-bot, aiogram), the webhook door, and the runtime they share."""
