"""What a Telegram message is made of: HTML within limits, buttons and their callback data,
replies. A leaf: it imports nothing else from bot."""
