"""Tables of the web service: organisations, users (hashed API keys), products, BOM versions,
immutable determinations, imported origin statements, batch jobs and the audit trail.

Every row that belongs to a customer carries ``org_id``; the repository filters by it on every
read, so one organisation never sees (nor learns the existence of) another's rows.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, event, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def new_id() -> str:
    return str(uuid.uuid4())


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Base(DeclarativeBase):
    pass


class ServerSetting(Base):
    """Server-wide settings kept in the database (none secret: the signing secret lives outside
    it, see noodlebowl.web.secret)."""

    __tablename__ = "server_settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(Text)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)   # sha256 of the API key
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ShareLink(Base):
    """A signed link to one agreement's origin statement: the token names this row, so the link
    lives only while the row says so (expiry, revocation)."""

    __tablename__ = "share_links"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    determination_id: Mapped[str] = mapped_column(ForeignKey("determinations.id"))
    agreement: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Product(Base):
    __tablename__ = "products"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BomVersion(Base):
    """One version of a product's bill of materials (product data, costs, materials, facts).
    Editing a BOM adds a version; a version is never changed."""

    __tablename__ = "bom_versions"
    __table_args__ = (UniqueConstraint("product_id", "version"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    bom: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Determination(Base):
    """A stored answer: the full request, the comparison, the data version, who and when.
    Immutable: a rerun is a new row pointing at the one it re-ran."""

    __tablename__ = "determinations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"), index=True)
    bom_version_id: Mapped[str] = mapped_column(ForeignKey("bom_versions.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    request: Mapped[dict[str, Any]] = mapped_column(JSON)
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)
    data_version: Mapped[str] = mapped_column(String(64))
    rerun_of: Mapped[str | None] = mapped_column(ForeignKey("determinations.id"), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ImportedStatement(Base):
    """A supplier's origin statement imported as proof that a BOM line is originating."""

    __tablename__ = "imported_statements"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    bom_version_id: Mapped[str] = mapped_column(ForeignKey("bom_versions.id"))
    material: Mapped[str] = mapped_column(Text)
    agreement: Mapped[str] = mapped_column(String(16))
    statement: Mapped[dict[str, Any]] = mapped_column(JSON)
    imported_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class BatchJob(Base):
    """A catalog qualified in the background: its files live in the jobs folder under its id;
    the row tracks who asked, the state (queued → running → done | failed), the progress and the
    summary. ``runner`` is the host:pid of the process running it, so a job whose process died
    is reported as failed instead of running forever."""

    __tablename__ = "batch_jobs"
    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    products_file: Mapped[str] = mapped_column(Text)          # the names the user uploaded
    bom_file: Mapped[str] = mapped_column(Text)
    agreements: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    out_format: Mapped[str] = mapped_column(String(16))
    runner: Mapped[str] = mapped_column(String(300))
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    data_version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditEvent(Base):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(36))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ImmutableRow(Exception):
    pass


def _refuse_update(mapper, connection, target) -> None:
    raise ImmutableRow(f"{type(target).__name__} rows are immutable; add a new one instead")


for _model in (BomVersion, Determination, ImportedStatement, AuditEvent):
    event.listen(_model, "before_update", _refuse_update)
    event.listen(_model, "before_delete", _refuse_update)
