"""Proof of origin: the documents each agreement accepts on a route and date, and a draft form.

* :func:`proof_options` — proof types with their availability, validity, waiver, record keeping …
* :func:`build_draft` — the boxes of the agreement's form filled from a request and a qualifying
  determination (refuses non-qualifying and undetermined ones).
* :mod:`noodlebowl.proof.pdf` — the draft as PDF (``write_pdf``) and JSON (``write_json``).
"""

from __future__ import annotations

from noodlebowl.proof.draft import DRAFT_MARKING, TBC, DraftField, DraftForm, ProofDraft, ProofRefused, build_draft
from noodlebowl.proof.requirements import ProofOption, ProofRequirements, WaiverJudgement, proof_options

__all__ = ["DRAFT_MARKING", "TBC", "DraftField", "DraftForm", "ProofDraft", "ProofOption", "ProofRefused",
           "ProofRequirements", "WaiverJudgement", "build_draft", "proof_options"]
