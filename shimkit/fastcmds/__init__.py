"""Fast implementations of hot commands (see shimkit.fastpath)."""
