"""Origin statements: what a supplier shares with a customer about one agreement's answer —
product, agreement, outcome, criterion, rule and the trace of checks — without any cost or value
figure. The link carries an HMAC-SHA256 signature made with the server's secret and names its
share-link row, so it lives until it expires (``days`` when made: default ``$NOODLEBOWL_LINK_DAYS``
or 90, at most 365) or is revoked; the customer imports it as proof that a BOM line is
originating under that agreement."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
from typing import Any

from pydantic import BaseModel

MAX_LINK_DAYS = 365


def default_link_days() -> int:
    """``$NOODLEBOWL_LINK_DAYS`` (1–365), else 90."""
    text = os.environ.get("NOODLEBOWL_LINK_DAYS", "90")
    return min(max(int(text), 1), MAX_LINK_DAYS) if text.strip().isdigit() else 90
# Checks whose sentences carry no value, cost or weight of the supplier's (codes, origins, the rule):
# shown as they are. Every other check — RVC, de minimis, partial cumulation, weight shares and any
# check added later — is withheld, its result kept. Decided by the check's name, never by reading
# its sentence.
FIGURE_FREE_CHECKS = frozenset({"in_force", "rule", "rule_lookup", "rule_table", "tariff_shift", "cumulation",
                                "wholly_obtained", "produced_exclusively", "minimal_operations", "process",
                                "chemical_reaction", "split_rule", "split_candidate", "rule_incomplete",
                                "direct_consignment"})
WITHHELD = "figures withheld by the supplier; the result of this check stands"


class BadToken(Exception):
    pass


class StatementCheck(BaseModel):
    check: str
    article: str
    result: str
    detail: str
    subject: str | None = None


class Statement(BaseModel):
    kind: str = "noodlebowl origin statement"
    determination_id: str
    agreement: str
    exporter: str
    importer: str
    date: str
    product: dict[str, Any]          # description, hs, edition — no FOB
    outcome: str
    criterion: str | None
    form_code: str | None
    rule: dict[str, Any] | None
    checks: list[StatementCheck]
    data_version: str
    issued_at: str
    expires_at: str
    note: str = ("Shared by the supplier as evidence of origin. It is not a certificate of origin nor an "
                 "origin declaration under the agreement; cost figures are withheld.")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(secret: bytes, link_id: str, determination_id: str, agreement: str, expires: dt.datetime,
         now: dt.datetime | None = None) -> str:
    now = now or dt.datetime.now(dt.timezone.utc)
    payload = json.dumps({"l": link_id, "d": determination_id, "a": agreement, "iat": int(now.timestamp()),
                          "exp": int(expires.timestamp())}, separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(secret, payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def verify(secret: bytes, token: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """The token's payload if the signature holds and it has not expired; else :class:`BadToken`.
    (Whether its link was revoked is the store's to say.)"""
    try:
        payload_text, mac_text = token.split(".")
        payload, mac = _unb64(payload_text), _unb64(mac_text)
    except (ValueError, TypeError):
        raise BadToken("the statement link is malformed") from None
    if not hmac.compare_digest(hmac.new(secret, payload, hashlib.sha256).digest(), mac):
        raise BadToken("the statement link's signature does not match")
    data = json.loads(payload)
    if not isinstance(data, dict) or not {"l", "d", "a", "iat", "exp"} <= set(data):
        raise BadToken("the statement link is of an older kind that cannot be revoked; ask for a new one")
    now = now or dt.datetime.now(dt.timezone.utc)
    if now.timestamp() > data["exp"]:
        raise BadToken("the statement link has expired")
    return data


def _strip_detail(check: dict[str, Any]) -> str:
    return check["detail"] if check["check"] in FIGURE_FREE_CHECKS else WITHHELD


def build(determination: dict[str, Any], agreement: str, token_iat: int, token_exp: int) -> Statement:
    """The cost-free statement for one agreement of a stored determination."""
    request, answer = determination["request"], determination["answer"]
    det = next((d for d in answer["determinations"] if d["agreement"] == agreement), None)
    if det is None:
        raise KeyError(agreement)
    product = request["product"]
    rule = det.get("rule")
    issued = dt.datetime.fromtimestamp(token_iat, dt.timezone.utc)
    return Statement(
        determination_id=determination["id"], agreement=agreement, exporter=request["exporter"],
        importer=request["importer"], date=str(request["date"]),
        product={"description": product.get("description"), "hs": product["hs"], "edition": product.get("edition")},
        outcome=det["outcome"], criterion=det.get("criterion"), form_code=det.get("form_code"),
        rule={k: rule.get(k) for k in ("text", "hs", "edition", "level", "source", "row", "verified", "basis")}
        if rule else None,
        checks=[StatementCheck(check=c["check"], article=c["article"], result=c["result"], detail=_strip_detail(c),
                               subject=c.get("subject")) for c in det["checks"]],
        data_version=determination["data_version"], issued_at=issued.isoformat(),
        expires_at=dt.datetime.fromtimestamp(token_exp, dt.timezone.utc).isoformat())
