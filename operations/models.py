"""Licensed operation of public data (arrives with the operations issue)."""
