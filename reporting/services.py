"""Business actions of this app; none yet."""
