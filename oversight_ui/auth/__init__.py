"""Sign-in, sessions, CSRF and rate limiting of the dashboard."""
