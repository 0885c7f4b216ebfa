"""Data you can trust: how much of the reference data is verified, cross-checks against the
official texts, and an importer for official PSR annex tables in PDF.

* :mod:`noodlebowl.coverage.report` — ``noodlebowl data coverage``: per agreement, the share of
  HS2022 subheadings whose applicable rule is verified, unverified, general-rule-only, missing or
  ambiguous (computed with the engine's own rule lookup); per importer and regime, the share of
  national lines with a computable rate.
* :mod:`noodlebowl.coverage.crosscheck` — the transcribed PSR tables against the official English
  fragments, the ATIGA implementing guidelines and the transcription flags
  (``docs/crosscheck_report.md``).
* :mod:`noodlebowl.coverage.pdf_psr` — ``noodlebowl data import-psr``: an official PSR annex table
  (PDF with a text layer) to the project's rule-table CSV.
"""
