"""Properties of the advice on random bills of materials over real products and rules.

- soundness: applying any suggested move set (re-applied here from the moves' own fields, not
  through the library) makes ``determine`` answer ``qualifies`` for that agreement;
- minimality: on small BOMs the suggested set is as small as the smallest one an exhaustive
  search over every subset of the candidate moves finds (written here, without pruning).
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from noodlebowl.advice import AdviceOptions, advise, candidate_moves
from noodlebowl.agreements.registry import parties
from noodlebowl.origin import Outcome, Request, determine, parse_request

# Real products on a route where ATIGA, ACFTA and RCEP are all in force (VN → TH), with
# materials whose codes change (or do not change) heading against the product's rules:
# 8711.20 "RVC40" everywhere; 1905.31 "CTH or RVC40"; 8509.40 ATIGA "RVC40 or CTH or RVC35+CTSH",
# ACFTA "RVC40", RCEP "CTSH or RVC40"; 9403.60 "RVC40 or CTSH" / "RVC40 or CTH".
PRODUCTS = {
    "8711.20": ["8407.32", "8714.10", "8711.20", "4011.40", "8512.20", "7318.15"],
    "1905.31": ["1905.90", "1101.00", "1701.99", "0405.10", "1905.32", "4819.20"],
    "8509.40": ["8509.90", "8501.10", "8509.40", "3926.90", "7013.99", "8536.50"],
    "9403.60": ["9403.91", "4412.33", "9403.60", "8302.42", "3208.10", "4410.11"],
}
ORIGINS = ["VN", "TH", "CN", "JP", "KR", "US", "MY", "unknown"]
ORIGINATING = [False, True, ["RCEP"], ["ATIGA"], ["ACFTA"]]


@st.composite
def requests(draw, max_materials: int = 6):
    hs = draw(st.sampled_from(sorted(PRODUCTS)))
    n = draw(st.integers(1, max_materials))
    materials = []
    for i in range(n):
        materials.append({"name": f"m{i}", "hs": draw(st.sampled_from(PRODUCTS[hs])),
                          "origin": draw(st.sampled_from(ORIGINS)),
                          "originating": draw(st.sampled_from(ORIGINATING)),
                          "value": Decimal(draw(st.integers(1, 4000))) / 100})
    # FOB a little to well above the materials: RVC from a few % (several moves needed) to ~60 %
    total = sum(m["value"] for m in materials)
    fob = (total * (100 + draw(st.integers(1, 150))) / 100).quantize(Decimal("0.01"))
    return parse_request({"exporter": "VN", "importer": "TH", "date": "2026-03-01",
                          "product": {"hs": hs, "fob": str(fob)}, "materials": materials})


option_sets = st.builds(AdviceOptions, max_price_change_percent=st.sampled_from([Decimal(0), Decimal(10)]),
                        same_price_sources=st.booleans())


def apply_independently(request: Request, moves) -> Request:
    """Re-apply the moves from their fields, with full validation of the modified request."""
    data = request.model_dump(mode="python")
    for mv in moves:
        if mv.kind == "answer_fact":
            data["facts"][mv.fact] = mv.answer
            continue
        (m,) = [m for m in data["materials"] if m["name"] == mv.material]
        m["value"] = mv.new_price
        if mv.kind in ("prove_originating", "source_from_party"):
            m["origin"], m["originating"] = mv.new_origin, mv.new_originating
    return Request.model_validate(data)


def outcome(request: Request, agreement: str) -> Outcome:
    return determine(request.model_copy(update={"agreements": [agreement]}))[0].outcome


def failing(request: Request) -> list[str]:
    return [d.agreement for d in determine(request) if d.outcome is not Outcome.qualifies]


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(request=requests(), options=option_sets)
def test_every_suggested_move_set_makes_it_qualify(request, options):
    assume(failing(request))
    advice = advise(request, options)
    for a in advice.agreements:
        if a.outcome is Outcome.qualifies:
            assert a.status == "already_qualifies" and not a.suggestions
            continue
        assert a.status != "already_qualifies"
        for s in a.suggestions:
            assert s.outcome is Outcome.qualifies and s.criterion
            assert outcome(apply_independently(request, s.moves), a.agreement) is Outcome.qualifies, s.steps
            for mv in s.moves:
                if mv.kind == "prove_originating":  # proof only for a material from a party (or the exporter)
                    assert mv.origin in {p.iso2 for p in parties(a.agreement)} | {request.exporter}
                if mv.kind == "lower_price":
                    assert mv.price - mv.new_price <= mv.price * options.max_price_change_percent / 100
        for f in a.fact_answers:
            facts = {**request.facts, f.key: f.answer}
            assert outcome(request.model_copy(update={"facts": facts}), a.agreement) is Outcome.qualifies


def smallest_by_exhaustion(request: Request, agreement: str, options: AdviceOptions) -> int | None:
    """Every subset of materials, every choice of move per material; no pruning, no cache."""
    members = frozenset(p.iso2 for p in parties(agreement))
    by_material: dict[str, list] = {}
    for mv in candidate_moves(request, agreement, members, options):
        by_material.setdefault(mv.material, []).append(mv)
    names = sorted(by_material)
    for size in range(1, len(names) + 1):
        for group in itertools.combinations(names, size):
            for choice in itertools.product(*(by_material[n] for n in group)):
                try:
                    modified = apply_independently(request, choice)
                except ValueError:  # materials above FOB: not a possible change
                    continue
                if outcome(modified, agreement) is Outcome.qualifies:
                    return size
    return None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(request=requests(max_materials=4), options=option_sets)
def test_suggested_set_is_the_smallest(request, options):
    assume(failing(request))
    for a in advise(request, options).agreements:
        if a.outcome is Outcome.qualifies:
            continue
        smallest = smallest_by_exhaustion(request, a.agreement, options)
        if smallest is None:
            assert a.status in ("cannot_qualify_by_moves", "no_moves_found") and not a.suggestions
        else:
            assert a.status == "moves_found", a.message
            best = a.suggestions[0]
            assert best.proven_smallest
            assert best.materials_changed == smallest, (best.steps, smallest)


@st.composite
def many_similar(draw):
    """Several materials of similar value and a thin margin: the smallest set has 2–4 moves."""
    hs = draw(st.sampled_from(["8711.20", "1905.31"]))
    n = draw(st.integers(4, 6))
    materials = [{"name": f"m{i}", "hs": PRODUCTS[hs][i % 2], "origin": draw(st.sampled_from(ORIGINS)),
                  "value": Decimal(draw(st.integers(500, 1500))) / 100} for i in range(n)]
    total = sum(m["value"] for m in materials)
    fob = (total * (100 + draw(st.integers(5, 40))) / 100).quantize(Decimal("0.01"))
    return parse_request({"exporter": "VN", "importer": "TH", "date": "2026-03-01",
                          "product": {"hs": hs, "fob": str(fob)}, "materials": materials})


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(request=many_similar())
def test_smallest_set_with_several_moves(request):
    options = AdviceOptions()
    for a in advise(request, options).agreements:
        if a.outcome is Outcome.qualifies:
            continue
        smallest = smallest_by_exhaustion(request, a.agreement, options)
        best = a.suggestions[0] if a.suggestions else None
        assert (best.materials_changed if best else None) == smallest, a.message
        if best:
            assert outcome(apply_independently(request, best.moves), a.agreement) is Outcome.qualifies
