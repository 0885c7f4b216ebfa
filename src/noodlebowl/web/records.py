"""Stored determinations read back: the diff of a rerun and the verification file for an officer."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any


def _by_agreement(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for d in answer.get("determinations", []):
        out.setdefault(d["agreement"], {})["determination"] = d
    for o in answer.get("options", []):
        out.setdefault(o["agreement"], {})["option"] = o
    return out


def _facts(entry: dict[str, Any]) -> dict[str, Any]:
    d, o = entry.get("determination") or {}, entry.get("option") or {}
    rule, rate = d.get("rule") or {}, o.get("rate") or {}
    return {"outcome": d.get("outcome"), "criterion": d.get("criterion"), "rule": rule.get("text"),
            "rate": rate.get("rate"), "duty": rate.get("duty"),
            "_rule_source": f"{rule.get('source')}:{rule.get('row')}" if rule else None,
            "_rule_verified": rule.get("verified"), "_rate_source": rate.get("source"),
            "_summary": d.get("summary")}


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Per agreement: which of outcome / criterion / rule text / rate / duty changed, and why
    (the data version, the rule's source row or verification, the tariff line it came from)."""
    old_answer, new_answer = old["answer"], new["answer"]
    a, b = _by_agreement(old_answer), _by_agreement(new_answer)
    data_changed = old["data_version"] != new["data_version"]
    agreements = []
    for name in sorted(set(a) | set(b)):
        fa, fb = _facts(a.get(name, {})), _facts(b.get(name, {}))
        changes = [{"field": k, "old": fa[k], "new": fb[k]} for k in ("outcome", "criterion", "rule", "rate", "duty")
                   if fa[k] != fb[k]]
        why = []
        if name not in a:
            why.append("the agreement is newly evaluated for this route and date")
        elif name not in b:
            why.append("the agreement is no longer evaluated for this route and date")
        if fa["_rule_source"] != fb["_rule_source"] and name in a and name in b:
            why.append(f"the rule now comes from {fb['_rule_source']} (was {fa['_rule_source']})")
        if fa["_rule_verified"] != fb["_rule_verified"] and name in a and name in b:
            why.append(f"the rule's verification status is now {fb['_rule_verified']} (was {fa['_rule_verified']})")
        if fa["_rate_source"] != fb["_rate_source"] and name in a and name in b:
            why.append(f"the rate now comes from {fb['_rate_source']} (was {fa['_rate_source']})")
        if changes and data_changed and not why:
            why.append(f"the reference data changed ({old['data_version']} → {new['data_version']})")
        if changes and not why:
            why.append("the engine evaluates the same data differently (program update)")
        agreements.append({"agreement": name, "changed": bool(changes), "changes": changes, "why": why,
                           "summary_old": fa["_summary"], "summary_new": fb["_summary"]})
    return {"determination_id": old["id"], "rerun_id": new["id"],
            "data_version": {"old": old["data_version"], "new": new["data_version"], "changed": data_changed},
            "best": {"old": old_answer.get("best"), "new": new_answer.get("best"),
                     "changed": old_answer.get("best") != new_answer.get("best")},
            "changed": any(x["changed"] for x in agreements) or old_answer.get("best") != new_answer.get("best"),
            "agreements": agreements}


def canonical(record: dict[str, Any]) -> bytes:
    keep = {k: record[k] for k in ("id", "product_id", "bom_version", "user_id", "request", "answer",
                                   "data_version", "created_at", "rerun_of")}
    return json.dumps(keep, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def verification(record: dict[str, Any], secret: bytes) -> dict[str, str]:
    body = canonical(record)
    return {"sha256": hashlib.sha256(body).hexdigest(),
            "hmac_sha256": hmac.new(secret, body, hashlib.sha256).hexdigest(),
            "how": "sha256 over the record's canonical JSON (sorted keys, no spaces, UTF-8) of id, product_id, "
                   "bom_version, user_id, request, answer, data_version, created_at, rerun_of; hmac_sha256 is "
                   "the same with the server's secret, checkable by the server that stored it"}


def export_pdf(record: dict[str, Any], check: dict[str, str], org_name: str | None = None) -> bytes:
    """A verification file a customs officer can read: request, outcome per agreement with the
    rule and the cited checks, data version, and the record's hash."""
    from fpdf import FPDF

    from noodlebowl.proof.pdf import latin1

    request, answer = record["request"], record["answer"]
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 7, latin1("Origin determination - verification file"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    product = request["product"]

    def line(text: str, bold: bool = False, size: float = 9) -> None:
        pdf.set_font("Helvetica", "B" if bold else "", size)
        pdf.multi_cell(0, 4.6, latin1(text), new_x="LMARGIN", new_y="NEXT")

    line(f"Determination {record['id']}  |  stored {record['created_at']}  |  by user {record['user_id']}")
    line(f"Product: {product.get('description') or ''}  HS {product['hs']} ({product.get('edition', 'HS2022')})  "
         f"FOB {product['fob']} {product.get('currency', 'USD')}  |  BOM version {record.get('bom_version')}")
    line(f"Route: {request['exporter']} -> {request['importer']} on {request['date']}  |  "
         f"data version {record['data_version']}")
    if record.get("rerun_of"):
        line(f"Re-run of determination {record['rerun_of']}")
    pdf.ln(2)
    line("Materials", bold=True, size=10)
    for mat in request.get("materials", []):
        orig = mat.get("originating")
        line(f"- {mat['name']}: HS {mat.get('hs') or '?'}, origin {mat.get('origin', 'unknown')}, "
             f"originating {orig}, value {mat['value']} ({mat.get('kind', 'material')})")
    pdf.ln(2)
    line(f"Best choice: {answer.get('best')} - {answer.get('best_reason')}", bold=True, size=10)
    for d in answer.get("determinations", []):
        pdf.ln(2)
        line(f"{d['agreement']}: {d['outcome']}" + (f" ({d['criterion']})" if d.get("criterion") else ""),
             bold=True, size=10)
        rule = d.get("rule") or {}
        if rule:
            line(f"Rule: {rule.get('text')}  [{rule.get('basis')}; {rule.get('source')} {rule.get('row') or ''}; "
                 f"{rule.get('verified')}]")
        line(d.get("summary", ""))
        for c in d.get("checks", []):
            line(f"  [{c['result']}] {c['article']}: {c['detail']}")
        for cav in d.get("caveats", []):
            line(f"  caveat: {cav}")
    pdf.ln(3)
    line("Integrity", bold=True, size=10)
    line(f"sha256 {check['sha256']}")
    line(f"hmac-sha256 {check['hmac_sha256']}")
    line(check["how"], size=7)
    return bytes(pdf.output())
