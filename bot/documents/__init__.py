"""Files and images the bot reads and writes: spreadsheets, ledgers, revenue files, charts, QR, fonts."""
