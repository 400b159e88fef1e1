"""events: one naming convention for stored event payloads (snake_case keys, `<domain>.<what happened>` types)

Appeal and contract-access events were stored with camelCase keys (`appealId`, `messageId`, `authorRole`,
`requestId`) and the contract-access types in capitals; they now follow the same convention as readings and payments,
and name the customer they are addressed to. Rows of appeals or requests deleted since are left as they were (the
subscriptions skip them: nobody can see their object any more).

Revision ID: events_0002_payload_keys
Revises: 0001
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "events_0002_payload_keys"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Module constants, so that a test can run them on stored rows.
UPGRADE = (
    """
        UPDATE outbox_event AS e
        SET payload = (e.payload - 'appealId' - 'messageId' - 'authorRole')
            || jsonb_build_object('appeal_id', e.payload -> 'appealId', 'customer_id', a.customer_id)
            || CASE WHEN e.payload ? 'messageId'
                    THEN jsonb_build_object('message_id', e.payload -> 'messageId', 'author_role', e.payload -> 'authorRole')
                    ELSE '{}'::jsonb END
        FROM appeal AS a
        WHERE e.type IN ('appeal.message_added', 'appeal.changed')
          AND e.payload ? 'appealId'
          AND a.id = (e.payload ->> 'appealId')::bigint
    """,
    """
        UPDATE outbox_event AS e
        SET type = CASE e.type WHEN 'CONTRACT_ACCESS_REQUESTED' THEN 'contract_access.requested'
                               ELSE 'contract_access.changed' END,
            payload = jsonb_build_object(
                'request_id', e.payload -> 'requestId', 'customer_id', r.customer_id, 'status', e.payload -> 'status'
            )
        FROM contract_access_request AS r
        WHERE e.type IN ('CONTRACT_ACCESS_REQUESTED', 'CONTRACT_ACCESS_REQUEST_CHANGED')
          AND r.id = (e.payload ->> 'requestId')::bigint
    """,
)
DOWNGRADE = (
    """
        UPDATE outbox_event AS e
        SET payload = (e.payload - 'appeal_id' - 'customer_id' - 'message_id' - 'author_role')
            || jsonb_build_object('appealId', e.payload -> 'appeal_id')
            || CASE WHEN e.payload ? 'message_id'
                    THEN jsonb_build_object('messageId', e.payload -> 'message_id', 'authorRole', e.payload -> 'author_role')
                    ELSE '{}'::jsonb END
        WHERE e.type IN ('appeal.message_added', 'appeal.changed') AND e.payload ? 'appeal_id'
    """,
    """
        UPDATE outbox_event AS e
        SET type = CASE e.type WHEN 'contract_access.requested' THEN 'CONTRACT_ACCESS_REQUESTED'
                               ELSE 'CONTRACT_ACCESS_REQUEST_CHANGED' END,
            payload = jsonb_build_object('requestId', e.payload -> 'request_id', 'status', e.payload -> 'status')
        WHERE e.type IN ('contract_access.requested', 'contract_access.changed')
    """,
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
