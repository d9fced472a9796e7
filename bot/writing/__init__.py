"""What the LLM writes: per-paper summaries (shared), the optional re-rank, and each
reader's personal digest notes; each with a fallback that needs no model."""
