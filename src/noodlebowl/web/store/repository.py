"""The storage operations of the web service. Each public method is one transaction: it
either stores everything it was asked to or nothing. Every read is scoped to the caller's
organisation, and a row of another organisation is indistinguishable from a missing one."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Iterator

from contextlib import contextmanager
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from noodlebowl.web.store import models as m


class NotFound(Exception):
    """No such row for this organisation (whether or not it exists for another)."""

    def __init__(self, kind: str, ident: str) -> None:
        self.kind, self.ident = kind, ident
        super().__init__(f"no {kind} {ident!r}")


@dataclass(frozen=True)
class Principal:
    user_id: str
    org_id: str
    user_name: str


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def as_dict(row: Any, *names: str) -> dict[str, Any]:
    out = {}
    for name in names:
        value = getattr(row, name)
        out[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._readers = sessionmaker(engine, expire_on_commit=False)
        self._writers = sessionmaker(engine.execution_options(noodlebowl_write=True), expire_on_commit=False)

    @contextmanager
    def tx(self, write: bool = True) -> Iterator[Session]:
        with (self._writers if write else self._readers).begin() as session:
            yield session

    # --- server settings and accounts ------------------------------------------------------

    def create_org(self, name: str, user_name: str = "admin") -> tuple[dict, str]:
        """A new organisation with one user; returns (ids, API key). The key is shown once."""
        key = "nb_" + secrets.token_urlsafe(32)
        with self.tx() as s:
            org = m.Organisation(name=name)
            s.add(org)
            s.flush()
            user = m.User(org_id=org.id, name=user_name, key_hash=hash_key(key), is_admin=True)
            s.add(user)
            s.flush()
            self._audit(s, Principal(user.id, org.id, user_name), "create_org", "organisation", org.id)
            return {"org_id": org.id, "user_id": user.id, "name": name}, key

    def create_user(self, org_id: str, user_name: str) -> tuple[dict, str]:
        key = "nb_" + secrets.token_urlsafe(32)
        with self.tx() as s:
            if s.get(m.Organisation, org_id) is None:
                raise NotFound("organisation", org_id)
            user = m.User(org_id=org_id, name=user_name, key_hash=hash_key(key))
            s.add(user)
            s.flush()
            return {"org_id": org_id, "user_id": user.id, "name": user_name}, key

    def principal(self, key: str) -> Principal | None:
        with self.tx(write=False) as s:
            user = s.scalar(select(m.User).where(m.User.key_hash == hash_key(key), m.User.revoked_at.is_(None)))
            return Principal(user.id, user.org_id, user.name) if user else None

    # --- API keys (one per user) -----------------------------------------------------------------

    KEY_FIELDS = ("id", "org_id", "name", "is_admin", "created_at", "revoked_at")

    def is_admin(self, who: Principal) -> bool:
        with self.tx(write=False) as s:
            return bool(s.scalar(select(m.User.is_admin).where(m.User.id == who.user_id)))

    def list_keys(self, org_id: str | None = None) -> list[dict]:
        """Every user's key (never the key itself: only its holder, state and dates)."""
        with self.tx(write=False) as s:
            q = select(m.User).order_by(m.User.org_id, m.User.created_at, m.User.id)
            rows = s.scalars(q.where(m.User.org_id == org_id) if org_id else q)
            return [as_dict(u, *self.KEY_FIELDS) for u in rows]

    def _user(self, s: Session, user_id: str, org_id: str | None) -> m.User:
        user = s.get(m.User, user_id)
        if user is None or (org_id is not None and user.org_id != org_id):
            raise NotFound("user", user_id)
        return user

    def revoke_key(self, user_id: str, *, org_id: str | None = None, by: Principal | None = None) -> dict:
        """The user's key stops working at once (idempotent)."""
        with self.tx() as s:
            user = self._user(s, user_id, org_id)
            if user.revoked_at is None:
                user.revoked_at = m.utcnow()
            self._audit(s, by or Principal(None, user.org_id, "server admin"), "revoke_key", "user", user_id)
            return as_dict(user, *self.KEY_FIELDS)

    def rotate_key(self, user_id: str, *, org_id: str | None = None, by: Principal | None = None) -> tuple[dict, str]:
        """A new key for the user (shown once); the old one stops working at once."""
        key = "nb_" + secrets.token_urlsafe(32)
        with self.tx() as s:
            user = self._user(s, user_id, org_id)
            user.key_hash, user.revoked_at = hash_key(key), None
            self._audit(s, by or Principal(None, user.org_id, "server admin"), "rotate_key", "user", user_id)
            return as_dict(user, *self.KEY_FIELDS), key

    # --- share links ------------------------------------------------------------------------------

    LINK_FIELDS = ("id", "determination_id", "agreement", "created_by", "created_at", "expires_at", "revoked_at")

    def add_share_link(self, who: Principal, determination_id: str, agreement: str, expires_at) -> dict:
        with self.tx() as s:
            self._determination(s, who, determination_id)
            row = m.ShareLink(org_id=who.org_id, determination_id=determination_id, agreement=agreement,
                              created_by=who.user_id, expires_at=expires_at)
            s.add(row)
            s.flush()
            self._audit(s, who, "share_statement", "determination", determination_id,
                        {"agreement": agreement, "link_id": row.id})
            return as_dict(row, *self.LINK_FIELDS)

    def share_link(self, link_id: str) -> dict | None:
        """Unscoped read, only for verifying a signed link (the signature is the access)."""
        with self.tx(write=False) as s:
            row = s.get(m.ShareLink, link_id)
            return as_dict(row, *self.LINK_FIELDS) if row else None

    def list_share_links(self, who: Principal) -> list[dict]:
        with self.tx(write=False) as s:
            rows = s.scalars(select(m.ShareLink).where(m.ShareLink.org_id == who.org_id)
                             .order_by(m.ShareLink.created_at.desc(), m.ShareLink.id))
            return [as_dict(r, *self.LINK_FIELDS) for r in rows]

    def revoke_share_link(self, who: Principal, link_id: str) -> dict:
        with self.tx() as s:
            row = s.scalar(select(m.ShareLink).where(m.ShareLink.id == link_id, m.ShareLink.org_id == who.org_id))
            if row is None:
                raise NotFound("share link", link_id)
            if row.revoked_at is None:
                row.revoked_at = m.utcnow()
            self._audit(s, who, "revoke_share_link", "share_link", link_id)
            return as_dict(row, *self.LINK_FIELDS)

    # --- audit ---------------------------------------------------------------------------

    def _audit(self, s: Session, who: Principal, action: str, object_type: str, object_id: str,
               detail: dict | None = None) -> None:
        s.add(m.AuditEvent(org_id=who.org_id, user_id=who.user_id, action=action, object_type=object_type,
                           object_id=object_id, detail=detail))

    def audit(self, who: Principal, limit: int = 100) -> list[dict]:
        with self.tx(write=False) as s:
            rows = s.scalars(select(m.AuditEvent).where(m.AuditEvent.org_id == who.org_id)
                             .order_by(m.AuditEvent.id.desc()).limit(limit))
            return [as_dict(r, "id", "user_id", "action", "object_type", "object_id", "detail", "at") for r in rows]

    # --- products and BOM versions ---------------------------------------------------------

    def _product(self, s: Session, who: Principal, product_id: str, *, lock: bool = False) -> m.Product:
        """The organisation's product; ``lock`` holds its row until the transaction ends, so that
        concurrent writers of its BOM take version numbers one after the other (PostgreSQL row
        lock; SQLite writers already hold the database lock from BEGIN IMMEDIATE)."""
        q = select(m.Product).where(m.Product.id == product_id, m.Product.org_id == who.org_id)
        row = s.scalar(q.with_for_update() if lock else q)
        if row is None:
            raise NotFound("product", product_id)
        return row

    def _bom(self, s: Session, product_id: str, version: int | None = None) -> m.BomVersion:
        q = select(m.BomVersion).where(m.BomVersion.product_id == product_id)
        q = q.where(m.BomVersion.version == version) if version is not None else \
            q.order_by(m.BomVersion.version.desc()).limit(1)
        row = s.scalar(q)
        if row is None:
            raise NotFound("BOM version", f"{product_id} v{version}")
        return row

    @staticmethod
    def _bom_dict(b: m.BomVersion) -> dict:
        return as_dict(b, "id", "version", "bom", "note", "created_by", "created_at")

    def _product_dict(self, s: Session, p: m.Product) -> dict:
        latest = self._bom(s, p.id)
        return {**as_dict(p, "id", "name", "created_by", "created_at"), "latest_version": latest.version,
                "bom": latest.bom}

    def create_product(self, who: Principal, name: str, bom: dict) -> dict:
        with self.tx() as s:
            product = m.Product(org_id=who.org_id, name=name, created_by=who.user_id)
            s.add(product)
            s.flush()
            version = m.BomVersion(product_id=product.id, version=1, bom=bom, created_by=who.user_id)
            s.add(version)
            s.flush()
            self._audit(s, who, "create_product", "product", product.id, {"bom_version": 1})
            return self._product_dict(s, product)

    def list_products(self, who: Principal) -> list[dict]:
        with self.tx(write=False) as s:
            rows = s.scalars(select(m.Product).where(m.Product.org_id == who.org_id)
                             .order_by(m.Product.created_at, m.Product.id))
            return [self._product_dict(s, p) for p in rows]

    def get_product(self, who: Principal, product_id: str) -> dict:
        with self.tx(write=False) as s:
            return self._product_dict(s, self._product(s, who, product_id))

    def bom_versions(self, who: Principal, product_id: str) -> list[dict]:
        with self.tx(write=False) as s:
            self._product(s, who, product_id)
            rows = s.scalars(select(m.BomVersion).where(m.BomVersion.product_id == product_id)
                             .order_by(m.BomVersion.version))
            return [self._bom_dict(b) for b in rows]

    def get_bom(self, who: Principal, product_id: str, version: int | None = None) -> dict:
        with self.tx(write=False) as s:
            self._product(s, who, product_id)
            return self._bom_dict(self._bom(s, product_id, version))

    def _add_version(self, s: Session, who: Principal, product_id: str, bom: dict, note: str | None) -> m.BomVersion:
        latest = s.scalar(select(func.max(m.BomVersion.version)).where(m.BomVersion.product_id == product_id)) or 0
        row = m.BomVersion(product_id=product_id, version=latest + 1, bom=bom, note=note, created_by=who.user_id)
        s.add(row)
        s.flush()
        self._audit(s, who, "new_bom_version", "product", product_id, {"bom_version": row.version})
        return row

    def new_bom_version(self, who: Principal, product_id: str, bom: dict, note: str | None = None) -> dict:
        with self.tx() as s:
            self._product(s, who, product_id, lock=True)
            return self._bom_dict(self._add_version(s, who, product_id, bom, note))

    # --- determinations ----------------------------------------------------------------------

    @staticmethod
    def _det_dict(d: m.Determination, version: int | None = None) -> dict:
        out = as_dict(d, "id", "product_id", "bom_version_id", "user_id", "request", "answer", "data_version",
                      "rerun_of", "created_at")
        out["bom_version"] = version
        return out

    def add_determination(self, who: Principal, product_id: str, version: int | None, compute) -> dict:
        """Store ``compute(bom_dict) -> (request_json, answer_json, data_version)`` for a BOM version.
        The computation runs between a read and a write transaction (no lock held while the engine
        works); the write is one transaction, so a failure stores nothing."""
        with self.tx(write=False) as s:
            self._product(s, who, product_id)
            bom = self._bom(s, product_id, version)
            bom_id, bom_version, bom_data = bom.id, bom.version, bom.bom
        request, answer, data_version = compute(bom_data)
        with self.tx() as s:
            self._product(s, who, product_id)   # still there, still theirs
            row = m.Determination(org_id=who.org_id, product_id=product_id, bom_version_id=bom_id,
                                  user_id=who.user_id, request=request, answer=answer, data_version=data_version)
            s.add(row)
            s.flush()
            self._audit(s, who, "determine", "determination", row.id, {"product_id": product_id,
                                                                       "bom_version": bom_version})
            return self._det_dict(row, bom_version)

    def _determination(self, s: Session, who: Principal, det_id: str) -> m.Determination:
        row = s.scalar(select(m.Determination).where(m.Determination.id == det_id,
                                                     m.Determination.org_id == who.org_id))
        if row is None:
            raise NotFound("determination", det_id)
        return row

    def get_determination(self, who: Principal, det_id: str) -> dict:
        with self.tx(write=False) as s:
            d = self._determination(s, who, det_id)
            return self._det_dict(d, s.get(m.BomVersion, d.bom_version_id).version)

    def determination_by_id(self, det_id: str) -> dict | None:
        """Unscoped read, only for verifying a signed statement link (the signature is the access)."""
        with self.tx(write=False) as s:
            d = s.get(m.Determination, det_id)
            return self._det_dict(d, s.get(m.BomVersion, d.bom_version_id).version) if d else None

    def list_determinations(self, who: Principal, product_id: str) -> list[dict]:
        with self.tx(write=False) as s:
            self._product(s, who, product_id)
            rows = s.execute(select(m.Determination, m.BomVersion.version)
                             .join(m.BomVersion, m.BomVersion.id == m.Determination.bom_version_id)
                             .where(m.Determination.product_id == product_id,
                                    m.Determination.org_id == who.org_id)
                             .order_by(m.Determination.created_at, m.Determination.id))
            return [self._det_dict(d, v) for d, v in rows]

    def add_rerun(self, who: Principal, det_id: str, compute) -> tuple[dict, dict]:
        """Recompute a stored determination's request; returns (old, new). ``compute(request_json)``."""
        old = self.get_determination(who, det_id)
        answer, data_version = compute(old["request"])
        with self.tx() as s:
            self._determination(s, who, det_id)
            row = m.Determination(org_id=who.org_id, product_id=old["product_id"],
                                  bom_version_id=old["bom_version_id"], user_id=who.user_id, request=old["request"],
                                  answer=answer, data_version=data_version, rerun_of=det_id)
            s.add(row)
            s.flush()
            self._audit(s, who, "rerun", "determination", row.id, {"rerun_of": det_id})
            return old, self._det_dict(row, old["bom_version"])

    def log(self, who: Principal, action: str, object_type: str, object_id: str, detail: dict | None = None) -> None:
        with self.tx() as s:
            self._audit(s, who, action, object_type, object_id, detail)

    # --- statements --------------------------------------------------------------------------

    def import_statement(self, who: Principal, product_id: str, material: str, agreement: str,
                         statement: dict, change_bom) -> dict:
        """Record the statement and add a BOM version with the material marked originating
        (``change_bom(bom_dict) -> bom_dict``)."""
        with self.tx() as s:
            self._product(s, who, product_id, lock=True)
            latest = self._bom(s, product_id)
            version = self._add_version(s, who, product_id, change_bom(latest.bom),
                                        f"origin statement imported for {material!r} ({agreement})")
            row = m.ImportedStatement(org_id=who.org_id, product_id=product_id, bom_version_id=version.id,
                                      material=material, agreement=agreement, statement=statement,
                                      imported_by=who.user_id)
            s.add(row)
            s.flush()
            self._audit(s, who, "import_statement", "product", product_id,
                        {"statement_id": row.id, "material": material, "agreement": agreement})
            return {"statement_id": row.id, "product_id": product_id, "bom_version": version.version,
                    "material": material, "agreement": agreement, "bom": version.bom}

    # --- batch jobs ------------------------------------------------------------------------

    JOB_FIELDS = ("id", "status", "products_file", "bom_file", "agreements", "out_format", "done", "total",
                  "summary", "error", "data_version", "runner", "user_id", "created_at", "finished_at")

    def add_job(self, who: Principal, job_id: str, **fields: Any) -> dict:
        with self.tx() as s:
            row = m.BatchJob(id=job_id, org_id=who.org_id, user_id=who.user_id, status="queued", done=0, **fields)
            s.add(row)
            s.flush()
            self._audit(s, who, "submit_batch", "batch_job", job_id,
                        {"products_file": row.products_file, "bom_file": row.bom_file})
            return as_dict(row, *self.JOB_FIELDS)

    def get_job(self, who: Principal, job_id: str) -> dict:
        with self.tx(write=False) as s:
            row = s.scalar(select(m.BatchJob).where(m.BatchJob.id == job_id, m.BatchJob.org_id == who.org_id))
            if row is None:
                raise NotFound("batch job", job_id)
            return as_dict(row, *self.JOB_FIELDS)

    def list_jobs(self, who: Principal, limit: int = 100) -> list[dict]:
        with self.tx(write=False) as s:
            rows = s.scalars(select(m.BatchJob).where(m.BatchJob.org_id == who.org_id)
                             .order_by(m.BatchJob.created_at.desc(), m.BatchJob.id).limit(limit))
            return [as_dict(r, *self.JOB_FIELDS) for r in rows]

    def job_state(self, job_id: str) -> dict | None:
        """Unscoped: the job's status and end, for the runner's clean-up of its files."""
        with self.tx(write=False) as s:
            row = s.get(m.BatchJob, job_id)
            return {"status": row.status, "finished_at": row.finished_at} if row else None

    def update_job(self, job_id: str, *, only_if: tuple[str, ...] = ("queued", "running"), **changes: Any) -> bool:
        """Change an unfinished job (the runner's progress and end); False if it had already ended."""
        with self.tx() as s:
            row = s.get(m.BatchJob, job_id)
            if row is None or row.status not in only_if:
                return False
            for name, value in changes.items():
                setattr(row, name, value)
            return True
