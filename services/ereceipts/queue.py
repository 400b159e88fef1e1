"""Queueing e-receipts from `statement.issued` events (written by the period's close in the statement's transaction).

«Платёжный документ в формате pdf направляется на электронную почту незамедлительно после его формирования»: each
customer who turned e-receipts on for the statement's account gets one email at the address they set; for an
organisation's delivery point, each customer with access to its contract who turned them on for the contract.

The handler reads the outbox in publishing order (positions, given by the relay: an event that committed late still
comes after the ones before it) from where it stopped, kept in `event_consumer`; a batch of events becomes emails in
one INSERT … SELECT, so a 100,000-account close is a handful of statements, not 100,000. The partial unique index
on (statement, address) makes a rerun of the close, a replay of the events or two handlers at once queue nothing
twice; two family members who set the same address get one email. The migration that brought e-receipts set the
position to the end of the outbox then, so statements issued before the release are not emailed a month late.
"""

from __future__ import annotations

import sqlalchemy as sa

from services.platform.database import run
from services.platform.runtime import Runtime

CONSUMER = "e-receipts"
STATEMENT_ISSUED = "statement.issued"
E_RECEIPT = "E_RECEIPT"
BATCH = 20_000

_REGISTER = sa.text(
    "INSERT INTO event_consumer (name, position, updated_at) VALUES (:name, 0, :now) ON CONFLICT (name) DO NOTHING"
)
_CURSOR = sa.text("SELECT position FROM event_consumer WHERE name = :name FOR UPDATE")
_UPTO = sa.text(
    """
    SELECT max(position) FROM (
        SELECT position FROM outbox_event WHERE position > :after ORDER BY position LIMIT :batch
    ) AS page
    """
)
# Households: the account's links; organisations: the links of the delivery point's contract. Emails are numbered in
# publishing order, so the delivery job sends the earliest statements first.
_QUEUE = sa.text(
    """
    INSERT INTO outbound_message
        (channel, sender, recipient, subject, body, kind, status, attempts, created_at, customer_id, statement_id)
    SELECT 'EMAIL', :sender, q.recipient, q.subject, q.body, :kind, 'PENDING', 0, :now, q.customer_id, q.statement_id
    FROM (
        SELECT e.position, link.id AS link_id, link.receipt_email AS recipient, link.customer_id, s.id AS statement_id,
               'Квитанция за ' || to_char(s.period, 'MM.YYYY') || ', лицевой счёт ' || account.number AS subject,
               'Квитанция за ' || to_char(s.period, 'MM.YYYY') || ' по лицевому счёту ' || account.number AS body
        FROM outbox_event AS e
        JOIN statement AS s ON s.id = (e.payload ->> 'statement_id')::bigint
        JOIN personal_account AS account ON account.id = s.account_id
        JOIN account_link AS link ON link.account_id = s.account_id
        WHERE e.position > :after AND e.position <= :upto AND e.type = :event
          AND link.receipt_electronic AND link.receipt_email IS NOT NULL
        UNION ALL
        SELECT e.position, link.id, link.receipt_email, link.customer_id, s.id,
               'Счёт за ' || to_char(s.period, 'MM.YYYY') || ', договор ' || contract.number,
               'Счёт за ' || to_char(s.period, 'MM.YYYY') || ' по договору ' || contract.number || ', ' || point.name
        FROM outbox_event AS e
        JOIN statement AS s ON s.id = (e.payload ->> 'statement_id')::bigint
        JOIN delivery_point AS point ON point.id = s.delivery_point_id
        JOIN contract ON contract.id = point.contract_id
        JOIN contract_link AS link ON link.contract_id = point.contract_id
        WHERE e.position > :after AND e.position <= :upto AND e.type = :event
          AND link.receipt_electronic AND link.receipt_email IS NOT NULL
    ) AS q
    ORDER BY q.position, q.link_id
    ON CONFLICT (statement_id, recipient) WHERE statement_id IS NOT NULL DO NOTHING
    """
)
_ADVANCE = sa.text("UPDATE event_consumer SET position = :upto, updated_at = :now WHERE name = :name")


async def queue_e_receipts(runtime: Runtime, *, batch: int = BATCH) -> int:
    """Turn the next `batch` published events' `statement.issued` into queued emails; how many events were read."""
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        await run(session, _REGISTER, {"name": CONSUMER, "now": now})
        after = (await run(session, _CURSOR, {"name": CONSUMER})).scalar_one()
        upto = (await run(session, _UPTO, {"after": after, "batch": batch})).scalar_one()
        if upto is None:
            await session.commit()
            return 0
        await run(
            session,
            _QUEUE,
            {
                "sender": runtime.settings.email_sender,
                "kind": E_RECEIPT,
                "now": now,
                "after": after,
                "upto": upto,
                "event": STATEMENT_ISSUED,
            },
        )
        await run(session, _ADVANCE, {"name": CONSUMER, "upto": upto, "now": now})
        await session.commit()
    return int(upto - after)
