"""Forms of this app; none yet."""
