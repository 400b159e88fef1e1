"""The event path: the outbox, the relay, the broker (in-process or Redis) and resumable streams of typed events.

- An event kind is a frozen dataclass subclassing `kinds.DomainEvent`, declared in its domain's `events.py`
  (`services/readings/events.py`, `services/appeals/events.py`, …): its `type` (`<domain>.<what happened>`), its
  fields (the payload, snake_case), and `channels()` (who listens: `outbox.account_channel(…)`, …).
- A service writes one with `outbox.record_event(session, Kind(...), now=now)` in the transaction of the change.
- `relay.relay_once` (a background job in every process) numbers committed events and hands them to the broker.
- `stream.follow(runtime, channels=…, after=…, kinds=[Kind])` yields them as their dataclasses, missed ones first
  (from the outbox), then live ones; a subscription field calls it through `schema/core/live.py`.
"""
