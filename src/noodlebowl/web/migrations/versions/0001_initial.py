"""Initial schema: organisations, users, products, BOM versions, determinations, statements, audit.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table("server_settings",
                    sa.Column("key", sa.String(64), primary_key=True),
                    sa.Column("value", sa.Text, nullable=False))
    op.create_table("organisations",
                    sa.Column("id", sa.String(36), primary_key=True),
                    sa.Column("name", sa.Text, nullable=False),
                    sa.Column("created_at", TS, nullable=False))
    op.create_table("users",
                    sa.Column("id", sa.String(36), primary_key=True),
                    sa.Column("org_id", sa.String(36), sa.ForeignKey("organisations.id"), nullable=False, index=True),
                    sa.Column("name", sa.Text, nullable=False),
                    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
                    sa.Column("created_at", TS, nullable=False))
    op.create_table("products",
                    sa.Column("id", sa.String(36), primary_key=True),
                    sa.Column("org_id", sa.String(36), sa.ForeignKey("organisations.id"), nullable=False, index=True),
                    sa.Column("name", sa.Text, nullable=False),
                    sa.Column("created_by", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
                    sa.Column("created_at", TS, nullable=False))
    op.create_table("bom_versions",
                    sa.Column("id", sa.String(36), primary_key=True),
                    sa.Column("product_id", sa.String(36), sa.ForeignKey("products.id"), nullable=False, index=True),
                    sa.Column("version", sa.Integer, nullable=False),
                    sa.Column("bom", sa.JSON, nullable=False),
                    sa.Column("note", sa.Text, nullable=True),
                    sa.Column("created_by", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
                    sa.Column("created_at", TS, nullable=False),
                    sa.UniqueConstraint("product_id", "version"))
    op.create_table("determinations",
                    sa.Column("id", sa.String(36), primary_key=True),
                    sa.Column("org_id", sa.String(36), sa.ForeignKey("organisations.id"), nullable=False, index=True),
                    sa.Column("product_id", sa.String(36), sa.ForeignKey("products.id"), nullable=False, index=True),
                    sa.Column("bom_version_id", sa.String(36), sa.ForeignKey("bom_versions.id"), nullable=False),
                    sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
                    sa.Column("request", sa.JSON, nullable=False),
                    sa.Column("answer", sa.JSON, nullable=False),
                    sa.Column("data_version", sa.String(64), nullable=False),
                    sa.Column("rerun_of", sa.String(36), sa.ForeignKey("determinations.id"), nullable=True),
                    sa.Column("created_at", TS, nullable=False))
    op.create_table("imported_statements",
                    sa.Column("id", sa.String(36), primary_key=True),
                    sa.Column("org_id", sa.String(36), sa.ForeignKey("organisations.id"), nullable=False, index=True),
                    sa.Column("product_id", sa.String(36), sa.ForeignKey("products.id"), nullable=False),
                    sa.Column("bom_version_id", sa.String(36), sa.ForeignKey("bom_versions.id"), nullable=False),
                    sa.Column("material", sa.Text, nullable=False),
                    sa.Column("agreement", sa.String(16), nullable=False),
                    sa.Column("statement", sa.JSON, nullable=False),
                    sa.Column("imported_by", sa.String(36), sa.ForeignKey("users.id"), nullable=False),
                    sa.Column("imported_at", TS, nullable=False))
    op.create_table("audit_events",
                    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
                    sa.Column("org_id", sa.String(36), sa.ForeignKey("organisations.id"), nullable=False, index=True),
                    sa.Column("user_id", sa.String(36), sa.ForeignKey("users.id"), nullable=True),
                    sa.Column("action", sa.String(64), nullable=False),
                    sa.Column("object_type", sa.String(32), nullable=False),
                    sa.Column("object_id", sa.String(36), nullable=False),
                    sa.Column("detail", sa.JSON, nullable=True),
                    sa.Column("at", TS, nullable=False))


def downgrade() -> None:
    for name in ("audit_events", "imported_statements", "determinations", "bom_versions", "products",
                 "users", "organisations", "server_settings"):
        op.drop_table(name)
