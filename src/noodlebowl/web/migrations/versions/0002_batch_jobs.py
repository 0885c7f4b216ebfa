"""Batch jobs: catalogs qualified in the background.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table("batch_jobs",
                    sa.Column("id", sa.String(36), primary_key=True),
                    sa.Column("org_id", sa.String(36), sa.ForeignKey("organisations.id"), nullable=False, index=True),
                    sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
                    sa.Column("status", sa.String(16), nullable=False),
                    sa.Column("products_file", sa.Text, nullable=False),
                    sa.Column("bom_file", sa.Text, nullable=False),
                    sa.Column("agreements", sa.JSON, nullable=True),
                    sa.Column("out_format", sa.String(16), nullable=False),
                    sa.Column("runner", sa.String(300), nullable=False),
                    sa.Column("done", sa.Integer, nullable=False),
                    sa.Column("total", sa.Integer, nullable=True),
                    sa.Column("summary", sa.JSON, nullable=True),
                    sa.Column("error", sa.JSON, nullable=True),
                    sa.Column("data_version", sa.String(64), nullable=False),
                    sa.Column("created_at", TS, nullable=False),
                    sa.Column("finished_at", TS, nullable=True))


def downgrade() -> None:
    op.drop_table("batch_jobs")
