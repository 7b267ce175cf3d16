"""The web front door: the same use cases as the chat, as mobile pages in any browser and as a
Telegram Mini App (aiohttp, server-side templates, every asset served by wuye itself)."""
