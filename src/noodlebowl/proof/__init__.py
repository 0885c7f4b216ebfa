"""Proof of origin: the documents each agreement accepts on a route and date, and a draft form.

* :func:`proof_options` — proof types with their availability, validity, waiver, record keeping …
* :func:`build_draft` — the boxes of the agreement's form filled from a request and a qualifying
  determination (refuses non-qualifying and undetermined ones).
* :mod:`noodlebowl.proof.pdf` — the draft as PDF and JSON.
"""

from __future__ import annotations

from noodlebowl.lazy import exports

_EXPORTS = {
    "DRAFT_MARKING": "noodlebowl.proof.draft",
    "TBC": "noodlebowl.proof.draft",
    "DraftField": "noodlebowl.proof.draft",
    "DraftForm": "noodlebowl.proof.draft",
    "ProofDraft": "noodlebowl.proof.draft",
    "ProofRefused": "noodlebowl.proof.draft",
    "build_draft": "noodlebowl.proof.draft",
    "ProofOption": "noodlebowl.proof.requirements",
    "ProofRequirements": "noodlebowl.proof.requirements",
    "WaiverJudgement": "noodlebowl.proof.requirements",
    "proof_options": "noodlebowl.proof.requirements",
}
__all__ = sorted(_EXPORTS)

__getattr__ = exports(__name__, _EXPORTS)
