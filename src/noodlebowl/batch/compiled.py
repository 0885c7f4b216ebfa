"""The batch kernel's compiled loops (Numba).

:func:`line_pass` — one pass over a chunk's BOM lines: for every line and agreement, is the material
originating (engine._views), and the sums the rules need per (product, agreement) — value of
non-originating and originating materials, counts, weights, and per tariff-shift level how many
materials fail or are undetermined and what they are worth (evaluate._shift_passes).

Every sum is exact, over Int64 micro-units. A material whose code or the
product's has several candidates in the rule table's edition, and every row of a tariff shift with
exception ranges, is also returned by index, for :func:`pair_codes` (whose verdicts :func:`add_codes`
adds) and :func:`exception_sums`.

:func:`leaf_states` — each rule leaf's state from those sums, and the packed pattern of a rule's leaves.

:func:`percent_texts` — ``part × 100 / whole`` as the engine's ``Decimal`` division gives it (28
significant digits, half-even), written as plain decimal text, by long division digit by digit.

:func:`decimal_units` — plain decimal texts to Int64 micro-units, with the format check.

Verdict codes pack a material's tariff-shift verdict at the three levels (chapter, heading,
subheading) as v2·9 + v4·3 + v6, each 0 passes, 1 fails, 2 undetermined. For one material code and one
product code the first level where they differ decides all three (a change of chapter is a change of
heading and of subheading): differ at 2 digits → 0 (PPP), at 4 → 9 (FPP), at 6 → 12 (FFP), nowhere → 13
(FFF); an unknown code → 26 (UUU).
"""

from __future__ import annotations

import numpy as np
from numba import njit

# per (product, agreement) and tariff-shift level: materials failing, undetermined; their values and weights
# (failing ones; every one not passing)
N_FAIL, N_UNK, V_FAIL, V_ALL, W_FAIL, W_ALL = range(6)
KIND_MATERIAL, KIND_PACKING, KIND_INDIRECT = 0, 2, 4
UNKNOWN = 26            # UUU: the material's code is not known in the rule table's edition


# a verdict code's verdict at each level (chapter, heading, subheading)
_VERDICTS = np.array([[code // 9, (code // 3) % 3, code % 3] for code in range(27)], dtype=np.int64)


@njit(cache=True, nogil=True)
def _add(levels, level_nulls, rows, key, code, value, weight, wnull):
    """One judged tariff-shift row into its (product, agreement)'s level sums."""
    for j in range(3):
        verdict = _VERDICTS[code, j]
        if verdict == 1:
            levels[key, j, N_FAIL] += 1
            levels[key, j, V_FAIL] += value
            levels[key, j, W_FAIL] += weight
            if wnull:
                level_nulls[key, j, 0] = True
        elif verdict == 2:
            levels[key, j, N_UNK] += 1
        if verdict != 0:
            levels[key, j, V_ALL] += value
            levels[key, j, W_ALL] += weight
            if wnull:
                level_nulls[key, j, 1] = True
    rows[key] += 1


_U10000, _U100 = np.uint64(10_000), np.uint64(100)


@njit(cache=True, nogil=True, inline="always")
def _add_single(levels, level_nulls, rows, key, code, value, weight, wnull):
    """:func:`_add` for the codes one material code against one product code gives (PPP, FPP, FFP, FFF,
    UUU): the first 0–3 levels fail, or all three are undetermined."""
    rows[key] += 1
    if code == UNKNOWN:
        for j in range(3):
            levels[key, j, N_UNK] += 1
            levels[key, j, V_ALL] += value
            levels[key, j, W_ALL] += weight
            if wnull:
                level_nulls[key, j, 1] = True
        return
    failing = 0 if code == 0 else (1 if code == 9 else (2 if code == 12 else 3))
    for j in range(failing):
        levels[key, j, N_FAIL] += 1
        levels[key, j, V_FAIL] += value
        levels[key, j, W_FAIL] += weight
        levels[key, j, V_ALL] += value
        levels[key, j, W_ALL] += weight
        if wnull:
            level_nulls[key, j, 0] = True
            level_nulls[key, j, 1] = True


@njit(cache=True, nogil=True)
def line_pass(pidx, known, odd, origin, decl, value, weight, wnull, kind, exporter,
              table_code, table_count, table_of, party, bits, ts, pcode, pn, exc, n_products):
    """The pass. Lines: ``pidx`` (row of the product), material code known?, shorter than 6 digits?,
    origin id, declaration bits, value, weight (0 when ``wnull``), kind code, the product's exporter id;
    ``table_code``/``table_count`` (table edition × line): the material's single candidate (-1: none)
    and number of candidates in each rule-table edition. ``table_of`` (agreement × product): the edition of
    the rule table in force on the product's date. Agreements:
    ``party`` (agreement × origin id), ``bits`` (declaration bit). Per (agreement, product): the plan
    has a tariff shift (``ts``), product code and number of candidates, exception ranges (``exc``)."""
    n_agreements = ts.shape[0]
    n_lines = pidx.shape[0]
    n_keys = n_products * n_agreements
    vnm = np.zeros((n_agreements, n_products), np.int64)
    vom = np.zeros((n_agreements, n_products), np.int64)
    n_foreign = np.zeros((n_agreements, n_products), np.int64)
    cumulated = np.zeros((n_agreements, n_products), np.bool_)
    odd_code = np.zeros((n_agreements, n_products), np.bool_)
    w_orig = np.zeros((n_agreements, n_products), np.int64)
    n_ctc = np.zeros(n_products, np.int64)
    w_mat = np.zeros(n_products, np.int64)
    wnull_mat = np.zeros(n_products, np.bool_)
    levels = np.zeros((n_keys, 3, 6), np.int64)
    level_nulls = np.zeros((n_keys, 3, 2), np.bool_)
    rows = np.zeros(n_keys, np.int64)
    multi = np.empty(n_lines * n_agreements, np.int64)      # line · agreements + agreement
    n_multi = 0
    excepted = np.empty(n_lines * n_agreements, np.int64)
    n_excepted = 0
    # per origin, the declaration bits of the agreements it is a party to
    party_bits = np.zeros(party.shape[1], np.int64)
    all_bits = 0
    for a in range(n_agreements):
        all_bits |= bits[a]
        for o in range(party.shape[1]):
            if party[a, o]:
                party_bits[o] |= bits[a]
    for i in range(n_lines):
        p = pidx[i]
        is_mat = kind[i] == KIND_MATERIAL
        counted = kind[i] != KIND_PACKING and kind[i] != KIND_INDIRECT
        home = origin[i] == exporter[i]
        v, w = value[i], weight[i]
        if is_mat:
            n_ctc[p] += 1
            w_mat[p] += w
            if wnull[i]:
                wnull_mat[p] = True
        # originating under agreement a: declared so, and made in a party or in the exporter's country
        originating = np.int64(decl[i]) & (all_bits if home else party_bits[origin[i]])
        if originating == all_bits:            # under every agreement: no tariff-shift work (the usual case)
            for a in range(n_agreements):
                if counted:
                    vom[a, p] += v
                if not home:
                    cumulated[a, p] = True
                if is_mat:
                    w_orig[a, p] += w
            continue
        for a in range(n_agreements):
            o = (originating & bits[a]) != 0
            if counted:
                if o:
                    vom[a, p] += v
                else:
                    vnm[a, p] += v
            if o:
                if not home:
                    cumulated[a, p] = True
                if is_mat:
                    w_orig[a, p] += w
                continue
            if not is_mat:
                continue
            n_foreign[a, p] += 1
            if odd[i]:
                odd_code[a, p] = True
            if not ts[a, p]:
                continue
            # a tariff-shift row: a non-originating counted material of a product whose plan has one
            if exc[a, p]:
                excepted[n_excepted] = i * n_agreements + a
                n_excepted += 1
            t = table_of[a, p]
            m, mn = table_code[t, i], table_count[t, i]
            if known[i] and (mn != 1 or pn[a, p] != 1):
                if mn > 0:
                    multi[n_multi] = i * n_agreements + a
                    n_multi += 1
                    continue
                code = UNKNOWN
            elif not known[i] or m < 0:
                code = UNKNOWN
            else:
                # the first level where the codes differ decides all three (unsigned: cheaper divisions)
                um, uq = np.uint64(m), np.uint64(pcode[a, p])
                if um // _U10000 != uq // _U10000:
                    code = 0
                elif um // _U100 != uq // _U100:
                    code = 9
                elif um != uq:
                    code = 12
                else:
                    code = 13
            _add_single(levels, level_nulls, rows, p * n_agreements + a, code, v, w, wnull[i])
    return (vnm, vom, n_foreign, cumulated, odd_code, w_orig, n_ctc, w_mat, wnull_mat,
            levels, level_nulls, rows, multi[:n_multi], excepted[:n_excepted])


@njit(cache=True, nogil=True)
def sum_by(index, values, keep, n):
    """Per index 0…n-1, the sum of the ``values`` kept (Int64, exact)."""
    out = np.zeros(n, np.int64)
    for i in range(index.shape[0]):
        if keep[i]:
            out[index[i]] += values[i]
    return out


@njit(cache=True, nogil=True)
def codes_not_in(codes, lines, known):
    """The codes of the chosen ``lines`` not yet ``known`` (repeats included)."""
    out = np.empty(codes.shape[0], np.int64)
    n = 0
    for i in range(codes.shape[0]):
        if lines[i] and not known[codes[i]]:
            out[n] = codes[i]
            n += 1
    return out[:n]


@njit(cache=True, nogil=True)
def gather_codes(codes, lines, table_single, table_count, single, count):
    """``single[i]``, ``count[i]`` from the tables indexed by code, for the chosen ``lines``."""
    for i in range(codes.shape[0]):
        if lines[i]:
            single[i] = table_single[codes[i]]
            count[i] = table_count[codes[i]]


@njit(cache=True, nogil=True)
def add_codes(levels, level_nulls, rows, keys, codes, values, weights, wnulls):
    """Verdicts judged outside the pass (multi-candidate rows); code -1: no pair judged it, not counted."""
    for r in range(keys.shape[0]):
        if codes[r] >= 0:
            _add(levels, level_nulls, rows, keys[r], codes[r], values[r], weights[r], wnulls[r])


# percent_texts works in Int64: part × 100 and 10 × whole must fit (larger rows: the Int128 path)
PERCENT_MAX_PART = (2**63 - 1) // 100
PERCENT_MAX_WHOLE = (2**63 - 1) // 10
SIG_DIGITS = 28          # Python's default decimal context, which the engine divides in
_ZERO, _POINT = 48, 46   # ASCII "0" and "."
_INT64_MAX = 2**63 - 1
_POW10_INT = np.array([10**k for k in range(19)], dtype=np.int64)
_FITS_TIMES_POW10 = np.array([_INT64_MAX // 10**k for k in range(19)], dtype=np.int64)   # x·10^k fits: x ≤ this
_TEN = np.uint64(10)


@njit(cache=True, nogil=True)
def percent_texts(parts, wholes, valid):
    """(offsets, bytes, done) of the texts of ``parts[i] × 100 / wholes[i]`` rounded to 28 significant
    digits, half-even, trailing zeros dropped (kernel._plain of the engine's Decimal). Rows not
    ``valid`` are empty; rows outside the Int64 bounds are empty and not ``done``."""
    n = parts.shape[0]
    data = np.empty(n * 48, np.uint8)       # ≤ 21 integer digits + point + 27 decimals… bounded below
    offsets = np.zeros(n + 1, np.int64)
    done = np.ones(n, np.bool_)
    digits = np.empty(96, np.int64)
    pos = 0
    for i in range(n):
        offsets[i] = pos
        if not valid[i]:
            continue
        part, whole = parts[i], wholes[i]
        if part < 0 or whole <= 0 or part > PERCENT_MAX_PART or whole > PERCENT_MAX_WHOLE:
            done[i] = False
            continue
        num = part * 100
        if num == 0:
            data[pos] = _ZERO
            pos += 1
            continue
        q, r = num // whole, num % whole
        # integer digits, most significant first (unsigned: a division by 10 is then a multiplication)
        n_int = 0
        t = np.uint64(q)
        while t > 0:
            n_int += 1
            t //= _TEN
        t = np.uint64(q)
        for j in range(n_int - 1, -1, -1):
            digits[j] = np.int64(t % _TEN)
            t //= _TEN
        # fractional digits: as many per division as r (< whole) × 10^k keeps within Int64
        k_max = 1
        while k_max < 18 and whole <= _FITS_TIMES_POW10[k_max + 1]:
            k_max += 1
        n_digits, significant = n_int, n_int
        while significant < SIG_DIGITS:
            if significant == 0:               # leading zeros of a quotient below 1 are not significant
                r *= 10
                digits[n_digits] = r // whole
                r %= whole
                if digits[n_digits] != 0:
                    significant = 1
                n_digits += 1
                continue
            k = min(k_max, SIG_DIGITS - significant)
            r *= _POW10_INT[k]
            block = np.uint64(r // whole)
            r %= whole
            for j in range(n_digits + k - 1, n_digits - 1, -1):
                digits[j] = np.int64(block % _TEN)
                block //= _TEN
            n_digits += k
            significant += k
        if 2 * r > whole or (2 * r == whole and digits[n_digits - 1] % 2 == 1):
            j = n_digits - 1
            while j >= 0 and digits[j] == 9:
                digits[j] = 0
                j -= 1
            if j >= 0:
                digits[j] += 1
            else:                              # 9.99… rounded up to 10: one more integer digit
                for k in range(n_digits, 0, -1):
                    digits[k] = digits[k - 1]
                digits[0] = 1
                n_int += 1
                n_digits += 1
        last = n_digits
        while last > n_int and digits[last - 1] == 0:
            last -= 1
        if n_int == 0:
            data[pos] = _ZERO
            pos += 1
        for j in range(n_int):
            data[pos] = _ZERO + digits[j]
            pos += 1
        if last > n_int:
            data[pos] = _POINT
            pos += 1
            for j in range(n_int, last):
                data[pos] = _ZERO + digits[j]
                pos += 1
    offsets[n] = pos
    return offsets, data[:pos], done


# --- leaf states -------------------------------------------------------------------------------

# leaf kinds (kernel.LEAF_KIND) and states (kernel.STATE_CHAR: met, met by de minimis, not met, undetermined)
LEAF_TS, LEAF_VC, LEAF_WO, LEAF_OW, LEAF_U = range(5)
MET, MET_DE_MINIMIS, NOT_MET, UNDETERMINED = range(4)
_M32 = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)


@njit(cache=True, nogil=True)
def _product(x, y):
    """x × y for 0 ≤ x, y < 2⁶³, exactly, as (high, low) 64-bit halves."""
    x0, x1 = np.uint64(x) & _M32, np.uint64(x) >> _S32
    y0, y1 = np.uint64(y) & _M32, np.uint64(y) >> _S32
    p00, p01, p10, p11 = x0 * y0, x0 * y1, x1 * y0, x1 * y1
    mid = (p00 >> _S32) + (p01 & _M32) + (p10 & _M32)
    return p11 + (p01 >> _S32) + (p10 >> _S32) + (mid >> _S32), (p00 & _M32) | (mid << _S32)


@njit(cache=True, nogil=True)
def product_le(a, b, c, d):
    """a × b ≤ c × d, exactly, for any Int64 operands (the products are 128-bit)."""
    left = (a > 0) - (a < 0)
    left *= (b > 0) - (b < 0)
    right = (c > 0) - (c < 0)
    right *= (d > 0) - (d < 0)
    if left != right or left == 0:
        return left <= right
    high1, low1 = _product(abs(a), abs(b))
    high2, low2 = _product(abs(c), abs(d))
    if left > 0:
        return high1 < high2 or (high1 == high2 and low1 <= low2)
    return high1 > high2 or (high1 == high2 and low1 >= low2)


@njit(cache=True, nogil=True)
def _de_minimis(value, wsum, wnull, fob, weight, weight_null, dmv_num, dmv_den, dmw_num, dmw_den, weight_rule):
    """evaluate._de_minimis_passes: 1 passes / 0 does not / 2 unknown (weights missing); dmv_num < 0: no
    value rule."""
    if dmv_num >= 0 and product_le(value, 100 * dmv_den, dmv_num, fob):
        return 1
    if not weight_rule:
        return 0
    if weight_null or wnull:
        return 2
    return 1 if product_le(wsum, 100 * dmw_den, dmw_num, weight) else 0


@njit(cache=True, nogil=True)
def leaf_states(shape, leaf_start, leaf_count, leaf_kind, leaf_digits, leaf_num, leaf_den, leaf_slot,
                pa_key, pcode, fob, weight, weight_null, vnm, vom, costs, costs_null, n_foreign, n_ctc,
                dmv_num, dmv_den, dmw_num, dmw_den, dmw_lo, dmw_hi, bd_allowed, bu_allowed,
                w_mat, wnull_mat, w_orig, levels, level_nulls, rows, exc_row, exc_sums, exc_nulls, exc_present,
                width):
    """Per (product, agreement) row with a rule: the packed leaf states (2 bits per leaf, kernel._pattern's
    key), and per leaf the value of the materials not passing its tariff shift (``share``; ``shared`` is
    False where the row had no tariff-shift material at all: the engine then reports no de minimis share).

    Leaves come from a table indexed by shape (``leaf_start``, ``leaf_count``); a tariff-shift leaf with
    exception ranges (``leaf_slot`` ≥ 0) reads its sums from ``exc_*`` at (exc_row[r], slot), the others
    from the level sums by pa_key; ``width``: the most leaves a rule has.
    Nullable inputs come as a value with a ``*_null`` mask, or -1 for the provisions' numbers."""
    n = shape.shape[0]
    keys = np.zeros(n, np.int64)
    share = np.zeros((n, width), np.int64)
    shared = np.zeros((n, width), np.bool_)
    for r in range(n):
        chapter = pcode[r] // 10_000
        weight_rule = dmw_num[r] >= 0 and dmw_lo[r] >= 0 and dmw_lo[r] <= chapter <= dmw_hi[r]
        key, weight_factor = 0, 1
        for leaf in range(leaf_count[shape[r]]):
            i = leaf_start[shape[r]] + leaf
            kind = leaf_kind[i]
            state = UNDETERMINED
            if kind == LEAF_TS:
                if leaf_slot[i] >= 0:
                    x, slot = exc_row[r], leaf_slot[i]
                    present = exc_present[x, slot]
                    n_fail, n_unk = exc_sums[x, slot, N_FAIL], exc_sums[x, slot, N_UNK]
                    v_fail, v_all = exc_sums[x, slot, V_FAIL], exc_sums[x, slot, V_ALL]
                    w_fail, w_all = exc_sums[x, slot, W_FAIL], exc_sums[x, slot, W_ALL]
                    wnull_fail, wnull_all = exc_nulls[x, slot, 0], exc_nulls[x, slot, 1]
                else:
                    k, j = pa_key[r], (leaf_digits[i] - 2) // 2
                    present = rows[k] > 0
                    n_fail, n_unk = levels[k, j, N_FAIL], levels[k, j, N_UNK]
                    v_fail, v_all = levels[k, j, V_FAIL], levels[k, j, V_ALL]
                    w_fail, w_all = levels[k, j, W_FAIL], levels[k, j, W_ALL]
                    wnull_fail, wnull_all = level_nulls[k, j, 0], level_nulls[k, j, 1]
                share[r, leaf], shared[r, leaf] = v_all, present
                if n_fail + n_unk == 0:
                    state = MET
                elif _de_minimis(v_all, w_all, wnull_all, fob[r], weight[r], weight_null[r], dmv_num[r], dmv_den[r],
                                 dmw_num[r], dmw_den[r], weight_rule) == 1:
                    state = MET_DE_MINIMIS
                elif n_fail > 0 and _de_minimis(v_fail, w_fail, wnull_fail, fob[r], weight[r], weight_null[r],
                                                dmv_num[r], dmv_den[r], dmw_num[r], dmw_den[r], weight_rule) == 0:
                    state = NOT_MET
            elif kind == LEAF_VC:
                num, den100 = leaf_num[i], 100 * leaf_den[i]
                build_down = bd_allowed[r] and product_le(num, fob[r], fob[r] - vnm[r], den100)
                build_up = bu_allowed[r] and not costs_null[r] and product_le(num, fob[r], vom[r] + costs[r], den100)
                state = MET if build_down or build_up else NOT_MET
            elif kind == LEAF_WO:
                state = NOT_MET if n_foreign[r] > 0 else UNDETERMINED
            elif kind == LEAF_OW:
                if n_ctc[r] == 0 or wnull_mat[r]:
                    state = UNDETERMINED
                elif w_mat[r] == 0:
                    state = MET if leaf_num[i] <= 0 else NOT_MET
                else:
                    state = MET if product_le(leaf_num[i], w_mat[r], w_orig[r], 100 * leaf_den[i]) else NOT_MET
            key += state * weight_factor
            weight_factor *= 4
        keys[r] = key
    return keys, share, shared


# --- plain decimal numbers ----------------------------------------------------------------------

MAX_INTEGER_DIGITS = 12      # catalog.MAX_INTEGER_DIGITS
MAX_DECIMALS = 6             # micro-units


@njit(cache=True, nogil=True)
def decimal_units(offsets, data, valid):
    """Texts (Arrow offsets and bytes) of plain decimals → (micro-units, fine): ``fine`` where the text is
    exactly catalog._FINE_NUMBER (1–12 digits, optionally a point and 1–6 decimals, or a point and 1–6
    decimals); anything else — null, blank, signs, spaces, exponents — is left to the full check."""
    n = offsets.shape[0] - 1
    units = np.zeros(n, np.int64)
    fine = np.zeros(n, np.bool_)
    for i in range(n):
        if not valid[i]:
            continue
        start, end = offsets[i], offsets[i + 1]
        whole, n_int, frac, n_frac, point, ok = 0, 0, 0, 0, False, end > start
        for j in range(start, end):
            b = data[j]
            if b == 46 and not point:                    # "."
                point = True
            elif 48 <= b <= 57:
                if point:
                    frac = frac * 10 + (b - 48)
                    n_frac += 1
                else:
                    whole = whole * 10 + (b - 48)
                    n_int += 1
                if n_int > MAX_INTEGER_DIGITS or n_frac > MAX_DECIMALS:
                    ok = False
                    break
            else:
                ok = False
                break
        if ok and (n_int > 0 or n_frac > 0) and not (point and n_frac == 0):
            for _ in range(n_frac, MAX_DECIMALS):
                frac *= 10
            units[i] = whole * 1_000_000 + frac
            fine[i] = True
    return units, fine


# --- tariff shifts over several candidate codes ----------------------------------------------------

_POW10 = np.array([10**k for k in range(7)], dtype=np.int64)


@njit(cache=True, nogil=True)
def pair_codes(m_off, m_codes, p_off, p_codes, keys):
    """Verdict codes of rows whose material or product has several candidate codes: at each level the
    verdict over every (material, product) pair — all change: passes, none: fails, else undetermined
    (evaluate._material_shift); -1 where a row has no pair."""
    n = keys.shape[0]
    codes = np.full(n, -1, np.int64)
    for r in range(n):
        k = keys[r]
        if m_off[r] == m_off[r + 1] or p_off[k] == p_off[k + 1]:
            continue
        code = 0
        for j in range(3):                    # chapter, heading, subheading: 10⁴, 10², 1
            d = _POW10[4 - 2 * j]
            changed, pairs = 0, 0
            for mi in range(m_off[r], m_off[r + 1]):
                for pi in range(p_off[k], p_off[k + 1]):
                    changed += m_codes[mi] // d != p_codes[pi] // d
                    pairs += 1
            verdict = 0 if changed == pairs else (1 if changed == 0 else 2)
            code = code * 3 + verdict
        codes[r] = code
    return codes


@njit(cache=True, nogil=True)
def exception_sums(keys, shapes, known, values, weights, wnulls, m_off, m_codes, p_off, p_codes,
                   entry_start, entry_count, entry_digits, range_start, range_count,
                   range_width, range_low, range_high, row_of, n_rows, n_slots):
    """Tariff shifts with exception ranges ("CTH except from 72.08"), per (product, agreement) row whose rule
    has some (``row_of`` maps pa keys to those rows, -1 for others) and slot (the leaf's place among its
    shape's exception leaves): the level sums (N_FAIL…). A pair passes when the codes differ at the required
    level and the material is in no range (evaluate._shift_passes); a material with no known code or
    candidate is undetermined. Each shape's exception leaves are ``entry_*`` (from entry_start[shape],
    entry_count of them), each with its ranges ``range_*``."""
    sums = np.zeros((n_rows, n_slots, 6), np.int64)
    nulls = np.zeros((n_rows, n_slots, 2), np.bool_)
    present = np.zeros((n_rows, n_slots), np.bool_)
    for r in range(keys.shape[0]):
        k = keys[r]
        w = row_of[k] if k < row_of.shape[0] else -1
        if w < 0:
            continue
        s = shapes[r]
        for e in range(entry_start[s], entry_start[s] + entry_count[s]):
            slot, d = e - entry_start[s], _POW10[6 - entry_digits[e]]
            verdict = 2
            if known[r] and m_off[r] < m_off[r + 1] and p_off[k] < p_off[k + 1]:
                passing, pairs = 0, 0
                for mi in range(m_off[r], m_off[r + 1]):
                    m = m_codes[mi]
                    excluded = False
                    for q in range(range_start[e], range_start[e] + range_count[e]):
                        prefix = m // _POW10[6 - range_width[q]]
                        if range_low[q] <= prefix <= range_high[q]:
                            excluded = True
                            break
                    for pi in range(p_off[k], p_off[k + 1]):
                        passing += (m // d != p_codes[pi] // d) and not excluded
                        pairs += 1
                verdict = 0 if passing == pairs else (1 if passing == 0 else 2)
            present[w, slot] = True
            if verdict == 1:
                sums[w, slot, N_FAIL] += 1
                sums[w, slot, V_FAIL] += values[r]
                sums[w, slot, W_FAIL] += weights[r]
                if wnulls[r]:
                    nulls[w, slot, 0] = True
            elif verdict == 2:
                sums[w, slot, N_UNK] += 1
            if verdict != 0:
                sums[w, slot, V_ALL] += values[r]
                sums[w, slot, W_ALL] += weights[r]
                if wnulls[r]:
                    nulls[w, slot, 1] = True
    return sums, nulls, present
