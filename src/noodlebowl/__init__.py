"""noodlebowl — which ASEAN trade agreement pays, does the product qualify, and what proof it needs."""

__version__ = "0.1.0"
