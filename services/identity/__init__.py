"""Identity: registration by phone, sign-in, sessions, one-time codes, password recovery, profile changes, staff."""
