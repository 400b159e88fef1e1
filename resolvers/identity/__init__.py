"""GraphQL entry points of identity: `me`, registration, sign-in, sessions, recovery and profile changes."""
