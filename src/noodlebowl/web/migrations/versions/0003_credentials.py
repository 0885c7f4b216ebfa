"""Credentials: API keys that can be revoked (users.revoked_at), an admin per organisation,
share links recorded so that they can be listed and revoked, and the link-signing secret moved
out of the database (it now lives in $NOODLEBOWL_SECRET_KEY or a key file; see web/secret.py).

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("revoked_at", TS, nullable=True))
        batch.add_column(sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()))
    # the first user of each organisation is the one `serve --create-org` made: its admin
    op.execute("UPDATE users SET is_admin = TRUE WHERE id IN (SELECT u.id FROM users u WHERE u.created_at = "
               "(SELECT MIN(v.created_at) FROM users v WHERE v.org_id = u.org_id))")
    op.create_table("share_links",
                    sa.Column("id", sa.String(36), primary_key=True),
                    sa.Column("org_id", sa.String(36), sa.ForeignKey("organisations.id"), nullable=False, index=True),
                    sa.Column("determination_id", sa.String(36), sa.ForeignKey("determinations.id"), nullable=False),
                    sa.Column("agreement", sa.String(16), nullable=False),
                    sa.Column("created_by", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
                    sa.Column("created_at", TS, nullable=False),
                    sa.Column("expires_at", TS, nullable=False),
                    sa.Column("revoked_at", TS, nullable=True))
    # A plain-text secret in the database is what this revision removes: links signed with it stop
    # verifying (they could not be revoked either).
    op.execute("DELETE FROM server_settings WHERE key = 'statement_secret'")


def downgrade() -> None:
    op.drop_table("share_links")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("is_admin")
        batch.drop_column("revoked_at")
