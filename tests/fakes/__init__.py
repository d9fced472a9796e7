"""Local HTTP servers standing in for outside services (real sockets, no patching)."""
