"""The event path: the outbox relay, the broker (in-process or Redis) and resumable streams of events."""
