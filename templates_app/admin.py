"""Admin registrations of this app; none yet."""
