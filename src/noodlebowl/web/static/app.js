// The trader's journey: product → route → materials → result → proof. Plain fetch calls to the
// JSON API; every value from the server is put in the page as text (never as markup). Words come
// from the message catalogue (static/i18n/<lang>.json); the form is kept in localStorage and the
// step in the URL, so a reload, Back or a glossary visit loses nothing.
"use strict";

const PARTIES = ["BN", "KH", "ID", "LA", "MY", "MM", "PH", "SG", "TH", "VN", "CN", "JP", "KR", "AU", "NZ"];
const KINDS = ["material", "retail_packaging", "packing", "accessory", "indirect"];
const TERMS = {WO: "wo", PE: "pe", CC: "cc", CTH: "cth", CTSH: "ctsh", RVC: "rvc"};
const COSTS = [["cost-labour", "direct_labour", "s3.cost.labour"], ["cost-overhead", "direct_overhead", "s3.cost.overhead"],
  ["cost-profit", "profit", "s3.cost.profit"], ["cost-other", "other", "s3.cost.other"]];
const STORE = "noodlebowl.form.v1";
const PROGRESS_AFTER_MS = 300;

let messages = {};
let lang = "en";
let countryNames = {};
const state = {step: 1, comparison: null, request: null, facts: {}, factsHs: null, advice: null};
const $ = (id) => document.getElementById(id);

// --- words --------------------------------------------------------------------------------------
function t(key, params = {}) {
  const text = messages[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (params[name] ?? `{${name}}`));
}

function chooseLanguage() {
  const saved = localStorage.getItem("noodlebowl.lang");
  if (saved === "en" || saved === "vi") return saved;
  return (navigator.languages || [navigator.language]).some((l) => (l || "").toLowerCase().startsWith("vi")) ? "vi" : "en";
}

async function loadLanguage(code) {
  const response = await fetch(`/static/i18n/${code}.json`);
  messages = await response.json();
  lang = code;
  document.documentElement.lang = code;
  $("lang").value = code;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-aria]")) node.setAttribute("aria-label", t(node.dataset.i18nAria));
  try {
    const list = await api(`/app/countries?lang=${code}`);
    countryNames = Object.fromEntries(list.map((c) => [c.code, c.name]));
  } catch (err) { countryNames = {}; }
  fillCountries();
  for (const button of document.querySelectorAll("button.term")) labelTerm(button);
}

const countryName = (code) => countryNames[code] || code;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c);
  return node;
}

// --- numbers: the decimal comma is read, money is shown in the reader's locale --------------------
function parseDecimal(text) {
  let s = String(text ?? "").trim().replace(/[\s\u00a0']/g, "");
  if (!s) return "";
  const comma = s.lastIndexOf(","), dot = s.lastIndexOf(".");
  if (comma >= 0 && dot >= 0) {            // both: the last one is the decimal separator
    s = comma > dot ? s.replace(/\./g, "").replace(",", ".") : s.replace(/,/g, "");
  } else if (comma >= 0) {
    const thousands = lang !== "vi" && /^\d{1,3}(,\d{3})+$/.test(s);
    s = thousands ? s.replace(/,/g, "") : (s.split(",").length === 2 ? s.replace(",", ".") : s);
  } else if (lang === "vi" && /^\d{1,3}(\.\d{3}){2,}$/.test(s)) {
    s = s.replace(/\./g, "");
  }
  return /^\d+(\.\d+)?$/.test(s) ? s : null;
}

function formatNumber(value, places) {
  if (value === null || value === undefined) return "";
  const n = Number(value);
  if (!Number.isFinite(n)) return String(value);
  const opts = places === undefined ? {maximumFractionDigits: 2} : {minimumFractionDigits: places, maximumFractionDigits: places};
  return new Intl.NumberFormat(lang === "vi" ? "vi-VN" : "en-GB", opts).format(n);
}
const money = (value, currency) => `${formatNumber(value, 2)} ${currency}`;

// --- the server -----------------------------------------------------------------------------------
let pending = 0;
async function api(path, options = {}) {
  pending++;
  const timer = setTimeout(() => { if (pending) $("progress").textContent = t("progress"); }, PROGRESS_AFTER_MS);
  try {
    let response;
    try { response = await fetch(path, options); } catch (err) {
      const e = new Error(t("errors.network")); e.body = {what: t("errors.network")}; throw e;
    }
    const type = response.headers.get("content-type") || "";
    const body = type.includes("json") ? await response.json() : await response.blob();
    if (!response.ok) {
      const err = new Error(body && body.what ? body.what : `request failed (${response.status})`);
      err.body = body || {};
      err.status = response.status;
      throw err;
    }
    return body;
  } finally {
    clearTimeout(timer);
    if (--pending === 0) $("progress").textContent = "";
  }
}

const postJson = (path, body) => api(path, {method: "POST", headers: {"content-type": "application/json"},
  body: JSON.stringify(body)});

// --- errors: a summary at the top of the step, linked to each field, and the message by the field --
const scopeOf = (step) => $(`step-${step}`) || $(step);

function clearErrors(step) {
  const box = $(`errors-${step}`);
  box.hidden = true;
  box.replaceChildren();
  for (const node of scopeOf(step).querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
  for (const node of scopeOf(step).querySelectorAll(".field-error")) node.textContent = "";
}

function showErrors(step, errors) {
  const box = $(`errors-${step}`);
  const list = el("ul");
  for (const {field, message} of errors) {
    const input = field && $(field);
    if (input) {
      input.setAttribute("aria-invalid", "true");
      let note = $(`${field}-error`);
      if (!note) {   // material cells: the message is put next to the input
        note = el("p", {class: "field-error", id: `${field}-error`});
        input.before(note);
        input.setAttribute("aria-describedby", `${field}-error`);
      }
      note.textContent = message;
      const link = el("a", {href: `#${field}`, text: message});
      link.addEventListener("click", (event) => { event.preventDefault(); input.focus(); });
      list.append(el("li", {}, link));
    } else list.append(el("li", {text: message}));
  }
  box.replaceChildren(el("h2", {text: t("errors.title")}), list);
  box.hidden = false;
  box.focus();
}

// The server's `where` (body.product.fob, materials[1].value …) as the id of the field in the page.
function fieldFor(where) {
  const path = String(where || "").replace(/^body\./, "").replace(/^request\./, "");
  const fixed = {"product.fob": "fob", "product.currency": "currency", "customs_value": "customs-value",
    "product.weight_kg": "product-weight", "product.hs": "hs-code", "exporter": "exporter", "importer": "importer",
    "date": "date"};
  if (fixed[path]) return fixed[path];
  for (const [id, key] of COSTS) if (path === `costs.${key}`) return id;
  const ship = path.match(/^shipment\.(\w+)/);
  if (ship && SHIPMENT.includes(ship[1])) return shipmentId(ship[1]);
  const m = path.match(/^materials\[(\d+)\]\.(\w+)/);
  if (m) {
    // The request leaves empty lines out: its n-th material is the table row it came from.
    const row = $("material-rows").querySelectorAll("tr")[state.requestRows ? state.requestRows[Number(m[1])] : Number(m[1])];
    const cell = row && row.querySelector(`[data-field="${m[2] === "weight_kg" ? "weight" : m[2]}"]`);
    return cell ? cell.id : null;
  }
  return null;
}

function serverErrors(err) {
  const b = err.body || {};
  const list = b.errors && b.errors.length ? b.errors : [b];
  return list.map((e) => {
    const field = fieldFor(e.where);
    const label = field && document.querySelector(`label[for="${field}"]`);
    let message = e.what || err.message;
    if (label) message = t("e.field", {label: label.textContent.trim(), what: message});
    if (b.suggestions && b.suggestions.length && e === b) message += " " + t("errors.suggest", {list: b.suggestions.slice(0, 5).join(", ")});
    return {field, message};
  });
}

// --- steps, history and the saved form --------------------------------------------------------------
function show(step, {push = true, focus = true} = {}) {
  state.step = step;
  for (let i = 1; i <= 5; i++) {
    $(`step-${i}`).hidden = i !== step;
    const item = document.querySelector(`#steps li[data-step="${i}"]`);
    if (i === step) item.setAttribute("aria-current", "step"); else item.removeAttribute("aria-current");
  }
  const heading = $(`h-${step}`);
  document.title = `${heading.textContent} – ${t("title.suffix")}`;
  if (push && Number(new URLSearchParams(location.search).get("step") || 1) !== step) {
    history.pushState({step}, "", `?step=${step}`);
  }
  if (focus) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
  save();
}

function save() {
  const fields = {};
  for (const id of ["search-q", "hs-code", "product-desc", "exporter", "importer", "date", "fob", "currency",
    "customs-value", "product-weight", ...COSTS.map((c) => c[0]), ...SHIPMENT.map(shipmentId)]) fields[id] = $(id).value;
  const wo = document.querySelector('input[name="wo"]:checked');
  localStorage.setItem(STORE, JSON.stringify({fields, wo: wo ? wo.value : null, materials: readRows(), facts: state.facts, factsHs: state.factsHs}));
}

function restore() {
  let saved;
  try { saved = JSON.parse(localStorage.getItem(STORE) || "null"); } catch (err) { saved = null; }
  if (!saved) { addMaterial(); return; }
  for (const [id, value] of Object.entries(saved.fields || {})) if ($(id) && value !== undefined) $(id).value = value;
  if (saved.wo !== null && saved.wo !== undefined) {
    const radio = document.querySelector(`input[name="wo"][value="${saved.wo}"]`);
    if (radio) radio.checked = true;
  }
  state.facts = saved.facts || {};
  state.factsHs = saved.factsHs || null;
  (saved.materials && saved.materials.length ? saved.materials : [{}]).forEach((m) => addMaterial(m));
}

// --- glossary definitions in place ------------------------------------------------------------------
function labelTerm(button) {
  button.textContent = t("term.show", {term: button.dataset.termLabel || t(`glossary.${button.dataset.term}.term`).split(" –")[0]});
  button.setAttribute("aria-expanded", button.nextElementSibling && button.nextElementSibling.classList.contains("definition") ? "true" : "false");
}

function toggleTerm(button) {
  const open = button.nextElementSibling;
  if (open && open.classList.contains("definition")) { open.remove(); button.setAttribute("aria-expanded", "false"); return; }
  const key = button.dataset.term;
  button.after(el("span", {class: "definition", role: "note"},
    el("strong", {text: t(`glossary.${key}.term`)}), " ", t(`glossary.${key}.def`), " ",
    el("em", {text: t(`glossary.${key}.example`)})));
  button.setAttribute("aria-expanded", "true");
}

function termButton(key, label) {
  const button = el("button", {type: "button", class: "term", "data-term": key});
  if (label) button.dataset.termLabel = label;
  labelTerm(button);
  return button;
}

// --- step 1: product --------------------------------------------------------------------------------
async function search(event) {
  event.preventDefault();
  const q = $("search-q").value.trim();
  if (!q) return;
  const box = $("hits");
  box.replaceChildren(el("p", {class: "muted", text: t("s1.search.busy")}));
  $("search-results").hidden = false;
  try {
    const data = await api(`/hs/search?q=${encodeURIComponent(q)}&limit=8`);
    box.replaceChildren();
    if (!data.hits.length) box.append(el("p", {text: t("s1.search.none")}));
    data.hits.forEach((hit, i) => {
      const id = `hit-${i}`;
      const radio = el("input", {type: "radio", name: "hs-pick", id, value: hit.dotted});
      radio.addEventListener("change", () => {
        $("hs-code").value = hit.dotted;
        if (!$("product-desc").value) $("product-desc").value = q;
        save();
      });
      box.append(el("div", {class: "choice"}, radio,
        el("label", {for: id}, el("strong", {text: hit.dotted}), " ", hit.description)));
    });
  } catch (err) {
    box.replaceChildren(el("p", {class: "error", text: err.body && err.body.what ? err.body.what : err.message}));
  }
}

async function toRoute(event) {
  event.preventDefault();
  clearErrors(1);
  const code = $("hs-code").value.trim();
  if (!code) return showErrors(1, [{field: "hs-code", message: t("e.hs.required")}]);
  if (!/^[\d.\s]+$/.test(code)) return showErrors(1, [{field: "hs-code", message: t("e.hs.format")}]);
  const six = code.replace(/\D/g, "").slice(0, 6);
  try {
    await api(`/hs/${encodeURIComponent(six.length >= 6 ? six : code)}`);
  } catch (err) {
    if (err.status === 404) {
      const hint = err.body.suggestions && err.body.suggestions.length ? " " + t("errors.suggest", {list: err.body.suggestions.slice(0, 5).join(", ")}) : "";
      return showErrors(1, [{field: "hs-code", message: t("e.hs.unknown", {code}) + hint}]);
    }
    return showErrors(1, serverErrors(err));
  }
  // Answers belong to the product they were given for: another code starts with none.
  if (state.factsHs !== code) { state.facts = {}; state.factsHs = code; }
  updateWhollyObtained();
  show(2);
  showAgreements();
}

// --- step 2: route ------------------------------------------------------------------------------------
function fillCountries() {
  for (const [id, preset] of [["exporter", "VN"], ["importer", "JP"]]) {
    const select = $(id);
    const current = select.value || preset;
    select.replaceChildren();
    const sorted = [...PARTIES].sort((a, b) => countryName(a).localeCompare(countryName(b), lang));
    for (const code of sorted) select.append(el("option", {value: code, text: countryName(code)}));
    select.value = current;
  }
  if (!$("date").value) $("date").value = new Date().toISOString().slice(0, 10);
  for (const select of document.querySelectorAll('select[data-field="origin"]')) fillOrigin(select, select.value);
  updateWhollyObtained();
}

async function showAgreements() {
  const box = $("agreements");
  if (!$("date").value || $("exporter").value === $("importer").value) { box.replaceChildren(); return null; }
  const q = new URLSearchParams({exporter: $("exporter").value, importer: $("importer").value, date: $("date").value});
  try {
    const data = await api(`/agreements?${q}`);
    const list = el("ul");
    for (const a of data.agreements) {
      list.append(el("li", {}, el("strong", {text: a.agreement}), `: ${t(`s2.inforce.${a.in_force}`)}`, a.reason ? ` — ${a.reason}` : ""));
    }
    box.replaceChildren(el("h2", {text: t("s2.agreements")}), list);
    return data;
  } catch (err) {
    box.replaceChildren();
    showErrors(2, serverErrors(err));
    return null;
  }
}

async function toMaterials(event) {
  event.preventDefault();
  clearErrors(2);
  const errors = [];
  if ($("exporter").value === $("importer").value) errors.push({field: "importer", message: t("e.route.same")});
  if (!$("date").value) errors.push({field: "date", message: t("e.date.required")});
  if (errors.length) return showErrors(2, errors);
  if (await showAgreements()) { updateWhollyObtained(); show(3); }
}

// --- step 3: materials --------------------------------------------------------------------------------
const chapter = () => Number($("hs-code").value.replace(/\D/g, "").slice(0, 2));

function updateWhollyObtained() {
  const set = $("wo-set");
  const food = chapter() >= 1 && chapter() <= 24;
  set.hidden = !food;
  const country = countryName($("exporter").value);
  $("wo-legend").textContent = t("s3.wo.legend", {country});
  $("wo-hint").textContent = t("s3.wo.hint", {country});
}

function fillOrigin(select, value) {
  const names = Object.keys(countryNames).length ? countryNames : Object.fromEntries(PARTIES.map((c) => [c, c]));
  select.replaceChildren(el("option", {value: "unknown", text: t("s3.unknown")}));
  const codes = Object.keys(names).sort((a, b) => names[a].localeCompare(names[b], lang));
  for (const code of codes) select.append(el("option", {value: code, text: names[code]}));
  if (value && value !== "unknown" && !names[value]) select.append(el("option", {value, text: value}));
  select.value = value || "unknown";
}

let rowCount = 0;
function addMaterial(m = {}) {
  const n = rowCount++;
  const cell = (name, labelKey, input) => {
    input.id = `m-${name}-${n}`;
    input.dataset.field = name;
    return el("td", {"data-label": t(labelKey)},
      el("label", {for: input.id, class: "visually-hidden", text: t("s3.line", {label: t(labelKey), n: n + 1})}), input);
  };
  const origin = el("select");
  fillOrigin(origin, m.origin ? String(m.origin).toUpperCase() : "unknown");
  const originating = el("select");
  originating.append(el("option", {value: "false", text: t("s3.originating.false")}), el("option", {value: "true", text: t("s3.originating.true")}));
  if (Array.isArray(m.originating)) {
    originating.append(el("option", {value: m.originating.join(";"), text: t("s3.originating.some", {list: m.originating.join(", ")})}));
    originating.value = m.originating.join(";");
  } else originating.value = m.originating ? "true" : "false";
  const kind = el("select");
  for (const k of KINDS) kind.append(el("option", {value: k, text: t(`kind.${k}`)}));
  kind.value = m.kind || "material";
  const remove = el("button", {type: "button", class: "link", text: t("s3.remove"), "aria-label": t("s3.remove.label", {n: n + 1})});
  const text = (value, mode) => el("input", {value: value ?? "", autocomplete: "off", inputmode: mode});
  const row = el("tr", {},
    cell("name", "s3.col.name", text(m.name)),
    cell("hs", "s3.col.hs", text(m.hs, "decimal")),
    cell("origin", "s3.col.origin", origin),
    cell("originating", "s3.col.originating", originating),
    cell("value", "s3.col.value", text(m.value, "decimal")),
    cell("weight", "s3.col.weight", text(m.weight_kg, "decimal")),
    cell("kind", "s3.col.kind", kind),
    el("td", {}, remove));
  // Columns the form does not show (currency, accessories' flags, partial cumulation) ride along unchanged.
  const {name, hs, origin: _o, originating: _g, value, weight_kg, kind: _k, ...extra} = m;
  row.dataset.extra = JSON.stringify(extra);
  remove.addEventListener("click", () => { row.remove(); save(); });
  $("material-rows").append(row);
}

function readRows() {
  const out = [];
  for (const row of $("material-rows").querySelectorAll("tr")) {
    const get = (f) => row.querySelector(`[data-field="${f}"]`).value.trim();
    const raw = get("originating");
    const m = {...JSON.parse(row.dataset.extra || "{}"), name: get("name"), value: get("value"), kind: get("kind"),
      origin: get("origin") || "unknown", originating: raw === "true" ? true : raw === "false" ? false : raw.split(";")};
    if (get("hs")) m.hs = get("hs");
    if (get("weight")) m.weight_kg = get("weight");
    out.push(m);
  }
  return out;
}

async function upload() {
  const file = $("bom-file").files[0];
  const box = $("file-errors");
  box.replaceChildren();
  if (!file) return;
  const form = new FormData();
  form.append("file", file);
  try {
    const data = await api("/bom/parse", {method: "POST", body: form});
    $("material-rows").replaceChildren();
    data.materials.forEach((m) => addMaterial(m));
    if (!data.materials.length) addMaterial();
    const params = {n: data.materials.length, file: file.name, p: data.errors.length};
    box.append(el("p", {class: data.errors.length ? "error" : "ok",
      text: t(data.errors.length ? "s3.upload.problems" : "s3.upload.read", params)}));
    if (data.errors.length) {
      const list = el("ul", {class: "error-list"});
      for (const e of data.errors) list.append(el("li", {text: t("s3.upload.row", {row: e.row, column: e.column ? `, ${e.column}` : "", what: e.what}) +
        (e.value ? ` (“${e.value}”)` : "")}));
      box.append(list);
    }
    save();
  } catch (err) {
    box.append(el("p", {class: "error", text: err.body && err.body.what ? err.body.what : err.message}));
  }
}

// The request from the form; errors (per field, in the reader's words) instead when it is not valid.
function buildRequest() {
  const errors = [];
  const number = (id, {required = false, positive = false, message, requiredMessage}) => {
    const raw = $(id).value;
    const value = parseDecimal(raw);
    if (value === "") { if (required) errors.push({field: id, message: requiredMessage || message}); return undefined; }
    if (value === null || (positive && Number(value) <= 0)) { errors.push({field: id, message}); return undefined; }
    return value;
  };
  const fob = number("fob", {required: true, requiredMessage: t("e.fob.required"), message: t("e.fob.number")});
  if (fob !== undefined && Number(fob) <= 0) errors.push({field: "fob", message: t("e.fob.positive")});
  const currency = ($("currency").value.trim() || "USD").toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency)) errors.push({field: "currency", message: t("e.currency")});
  const product = {hs: $("hs-code").value.trim(), fob, currency};
  if ($("product-desc").value.trim()) product.description = $("product-desc").value.trim();
  const weight = number("product-weight", {positive: true, message: t("e.weight.number")});
  if (weight !== undefined) product.weight_kg = weight;
  const request = {exporter: $("exporter").value, importer: $("importer").value, date: $("date").value, product, materials: []};
  const customsValue = number("customs-value", {message: t("e.cv.number")});
  if (customsValue !== undefined) request.customs_value = customsValue;
  const costs = {};
  for (const [id, key, label] of COSTS) {
    const v = number(id, {message: t("e.cost.number", {label: t(label)})});
    if (v !== undefined) costs[key] = v;
  }
  if (Object.keys(costs).length) request.costs = costs;
  const rows = [...$("material-rows").querySelectorAll("tr")];
  state.requestRows = [];
  readRows().forEach((m, i) => {
    if (!m.name && !m.value && !m.hs) return;   // an empty line is left out
    state.requestRows.push(i);
    const id = (f) => rows[i].querySelector(`[data-field="${f}"]`).id;
    const n = i + 1;
    if (!m.name) errors.push({field: id("name"), message: t("e.m.name", {n})});
    const value = parseDecimal(m.value);
    if (!value) errors.push({field: id("value"), message: t("e.m.value", {n})}); else m.value = value;
    if (m.hs && !/^[\d.\s]+$/.test(m.hs)) errors.push({field: id("hs"), message: t("e.m.hs", {n})});
    if (m.weight_kg !== undefined) {
      const w = parseDecimal(m.weight_kg);
      if (!w) errors.push({field: id("weight"), message: t("e.m.weight", {n})}); else m.weight_kg = w;
    }
    request.materials.push(m);
  });
  const wo = document.querySelector('input[name="wo"]:checked');
  const facts = {...state.facts};
  if (!$("wo-set").hidden && wo && wo.value) facts.wholly_obtained = wo.value === "true"; else delete facts.wholly_obtained;
  if (Object.keys(facts).length) request.facts = facts;
  return {request, errors};
}

async function runCompare(event) {
  if (event) event.preventDefault();
  clearErrors(3);
  const {request, errors} = buildRequest();
  if (errors.length) { show(3, {focus: false}); return showErrors(3, errors); }
  $("compare-go").disabled = true;
  try {
    const comparison = await postJson("/compare", request);
    state.request = request;
    state.comparison = comparison;
    state.advice = null;
    $("advice").replaceChildren();
    renderComparison(comparison);
    return true;
  } catch (err) {
    show(3, {focus: false});
    showErrors(3, serverErrors(err));
    return false;
  } finally {
    $("compare-go").disabled = false;
  }
}

// --- step 4: result -----------------------------------------------------------------------------------
const given = (v) => v !== null && v !== undefined;
// Known: compare() gave the rate in words (its `rate`), a percentage or a duty; a raw tariff cell alone is not.
const knownRate = (rate) => !!rate && rate.eligible !== false && (given(rate.rate) || given(rate.ad_valorem) || given(rate.duty));

// A rate in words: "free", "7 % of 1,200.00 USD = 84.00 USD", "7 %", or that it is not known.
function rateWords(rate, c) {
  if (!rate) return t("rate.unknown");
  if (rate.eligible === false) return t("rate.noteligible");
  if (rate.ad_valorem !== null && rate.ad_valorem !== undefined && Number(rate.ad_valorem) === 0) return t("rate.free");
  if (!knownRate(rate)) return t("rate.unknown");
  const percent = given(rate.ad_valorem) ? `${formatNumber(rate.ad_valorem)} %` : rate.rate;
  if (rate.duty !== null && rate.duty !== undefined && c.customs_value !== null && c.customs_value !== undefined && percent) {
    return t("rate.of", {rate: percent, value: money(c.customs_value, c.currency), duty: money(rate.duty, c.currency)});
  }
  return percent || rate.rate || t("rate.unknown");
}

function savingWords(o, c) {
  if (o.outcome !== "qualifies" || o.saving === null || o.saving === undefined || Number(o.saving) <= 0) return t("saving.none");
  const points = /point|pp/.test(o.saving_unit || "");
  return points ? t("saving.points", {amount: formatNumber(o.saving)}) : t("saving.money", {amount: money(o.saving, o.saving_unit || c.currency)});
}

function criterionNode(criterion) {
  const span = el("span", {text: t("outcome.by", {criterion})});
  const key = Object.keys(TERMS).find((k) => criterion.toUpperCase().startsWith(k));
  if (key) span.append(" ", termButton(TERMS[key], key));
  return span;
}

function renderHeadline(c) {
  const best = c.options.find((o) => o.agreement === c.best);
  const beside = $("best-beside");
  beside.replaceChildren();
  if (best && best.outcome === "qualifies" && knownRate(best.rate)) {
    $("best-title").textContent = t("s4.best", {name: best.agreement});
    $("best-reason").textContent = t("s4.best.line", {name: best.agreement, criterion: best.criterion || "—", rate: rateWords(best.rate, c)});
  } else if (c.best === "MFN" && c.mfn) {
    $("best-title").textContent = t("s4.best", {name: t("s4.mfn")});
    $("best-reason").textContent = t("s4.best.mfn", {rate: rateWords(c.mfn, c)});
  } else if (c.mfn && c.mfn.ad_valorem !== null && c.mfn.ad_valorem !== undefined && Number(c.mfn.ad_valorem) === 0) {
    $("best-title").textContent = t("s4.best.free");
    $("best-reason").textContent = t("s4.best.free.why");
  } else {
    // compare() named no option with a known rate: say so in the reader's words, never a raw reason.
    $("best-title").textContent = t("s4.best.none");
    $("best-reason").textContent = t("s4.best.none.why");
  }
  for (const o of c.options) {
    if (o.outcome === "qualifies" && !knownRate(o.rate) && o.agreement !== c.best) {
      beside.append(el("li", {"data-option": o.agreement, text: t("s4.unknownRate", {name: o.agreement, importer: countryName(c.importer)})}));
    }
  }
  for (const u of c.unmodelled_cheaper || []) {
    const rate = given(u.ad_valorem) ? (Number(u.ad_valorem) === 0 ? t("rate.free") : `${formatNumber(u.ad_valorem)} %`) : u.rate;
    beside.append(el("li", {"data-unmodelled": u.regime, text: t("s4.unmodelled", {name: u.regime, rate})}));
  }
  $("best").hidden = false;
}

function detailsFor(d) {
  const box = el("details", {class: "reasons"}, el("summary", {text: t("s4.details")}));
  if (d.rule) {
    box.append(el("p", {}, el("strong", {text: t("s4.rule", {text: d.rule.text})}), " — ", t(`verified.${d.rule.verified}`)),
      el("p", {class: "muted", text: t("s4.rule.source", {source: d.rule.basis || d.rule.source, row: d.rule.row || "—"})}));
  }
  const figures = el("ul");
  if (d.rvc && d.rvc.threshold !== null && d.rvc.threshold !== undefined) {
    const figuresOf = {down: formatNumber(d.rvc.build_down), up: formatNumber(d.rvc.build_up),
      threshold: formatNumber(d.rvc.threshold), non: formatNumber(d.rvc.non_originating_value, 2), fob: formatNumber(d.rvc.fob, 2)};
    // Build-up needs the costs; without them only build-down is shown.
    figures.append(el("li", {text: t(d.rvc.build_up === null || d.rvc.build_up === undefined ? "s4.rvc.down" : "s4.rvc", figuresOf)}));
  }
  if (d.de_minimis && d.de_minimis.share !== null && d.de_minimis.share !== undefined) {
    figures.append(el("li", {text: t("s4.dm", {share: formatNumber(d.de_minimis.share), limit: formatNumber(d.de_minimis.limit)})}));
  }
  if (figures.childElementCount) box.append(el("h3", {text: t("s4.figures")}), figures);
  if (d.checks && d.checks.length) {
    const checks = el("ol", {class: "checks"});
    for (const c of d.checks) {
      checks.append(el("li", {class: `check ${c.result}`}, el("strong", {text: `${t(`result.${c.result}`)}: `}), c.detail,
        el("br"), el("cite", {text: c.article + (c.data ? ` · ${c.data}` : "")})));
    }
    box.append(el("h3", {text: t("s4.checks")}), checks);
  }
  if (d.caveats && d.caveats.length) {
    const list = el("ul");
    for (const text of d.caveats) list.append(el("li", {text}));
    box.append(el("h3", {text: t("s4.caveats")}), list);
  }
  return box;
}

function renderComparison(c) {
  $("result-status").textContent = t("s4.status", {exporter: countryName(c.exporter), importer: countryName(c.importer), date: c.date, hs: c.product_hs});
  renderHeadline(c);
  const rows = $("comparison-rows");
  rows.replaceChildren();
  const byAgreement = Object.fromEntries(c.determinations.map((d) => [d.agreement, d]));
  if (c.mfn) {
    rows.append(el("tr", {"data-option": "MFN"},
      el("th", {scope: "row", "data-label": t("s4.col.option")}, t("s4.mfn"), " ", termButton("mfn", "MFN")),
      el("td", {"data-label": t("s4.col.qualifies"), text: "—"}),
      el("td", {"data-label": t("s4.col.rate"), class: "rate", text: rateWords(c.mfn, c)}),
      el("td", {"data-label": t("s4.col.saving"), text: "—"}),
      el("td", {"data-label": t("s4.col.why"), text: t("s4.mfn.why")})));
  }
  for (const o of c.options) {
    const d = byAgreement[o.agreement] || {};
    const why = el("td", {"data-label": t("s4.col.why")}, el("p", {class: "summary", text: d.summary || ""}));
    if (o.why_not_best) why.append(el("p", {class: "muted", text: o.why_not_best}));
    if (d.agreement) why.append(detailsFor(d));
    const outcome = el("td", {"data-label": t("s4.col.qualifies"), class: `outcome ${o.outcome}`}, t(`outcome.${o.outcome}`));
    if (o.outcome === "qualifies" && o.criterion) outcome.append(" ", criterionNode(o.criterion));
    rows.append(el("tr", {"data-option": o.agreement, class: o.agreement === c.best && knownRate(o.rate) ? "best" : null},
      el("th", {scope: "row", "data-label": t("s4.col.option"), text: o.agreement}),
      outcome,
      el("td", {"data-label": t("s4.col.rate"), class: "rate", text: rateWords(o.rate, c)}),
      el("td", {"data-label": t("s4.col.saving"), class: "saving", text: savingWords(o, c)}),
      why));
  }
  $("comparison").hidden = false;
  renderQuestions(c);
  const caveats = $("caveats");
  caveats.replaceChildren();
  if (c.caveats.length) {
    const list = el("ul");
    for (const text of c.caveats) list.append(el("li", {text}));
    caveats.append(el("h2", {text: t("s4.caveats")}), list);
  }
  const select = $("proof-agreement");
  select.replaceChildren();
  const qualifying = c.options.filter((o) => o.outcome === "qualifies");
  for (const o of qualifying) select.append(el("option", {value: o.agreement, text: o.agreement}));
  if (!qualifying.length) select.append(el("option", {value: "", text: t("s5.none")}));
  if (qualifying.some((o) => o.agreement === c.best)) select.value = c.best;
}

// --- step 4: the open questions as controls -----------------------------------------------------------
function mergedQuestions(needed) {
  const byKey = new Map();
  for (const q of needed) {
    const seen = byKey.get(q.key);
    if (seen) {
      seen.agreements = [...new Set([...seen.agreements, ...q.agreements])];
      seen.options = [...new Set([...seen.options, ...(q.options || [])])];
    } else byKey.set(q.key, {...q, agreements: [...q.agreements], options: [...(q.options || [])]});
  }
  return [...byKey.values()];
}

const slug = (key) => key.replace(/[^A-Za-z0-9_-]/g, "_");

function radios(name, choices, current) {
  const box = el("div", {class: "choices"});
  choices.forEach(([value, label], i) => {
    const id = `${name}-${i}`;
    const input = el("input", {type: "radio", name, id, value, "data-answer": name});
    if (String(current) === value) input.checked = true;
    box.append(el("div", {class: "choice"}, input, el("label", {for: id, text: label})));
  });
  return box;
}

function questionControl(q, index) {
  const name = `q${index}-${slug(q.key)}`;
  const set = el("fieldset", {class: "question", "data-key": q.key},
    el("legend", {text: q.question}), el("p", {class: "hint", text: t("s4.q.decides", {list: q.agreements.join(", ")})}));
  if (q.key === "materials.weight_kg") {
    const input = (id, label, value) => el("div", {}, el("label", {for: id, text: label}),
      el("input", {id, inputmode: "decimal", autocomplete: "off", value: value ?? "", "data-answer": "weight"}));
    set.append(input(`${name}-product`, t("s4.q.weight.product"), $("product-weight").value));
    readRows().forEach((m, i) => {
      if (m.name && (m.kind || "material") === "material") set.append(input(`${name}-m${i}`, t("s4.q.weight.material", {name: m.name}), m.weight_kg));
    });
    return set;
  }
  const material = q.key.match(/^materials\.(.+)\.hs$/);
  if (material && !q.options.length) {
    const id = `${name}-code`;
    set.append(el("label", {for: id, text: t("s4.q.code", {name: material[1]})}), el("input", {id, inputmode: "decimal", autocomplete: "off", "data-answer": name}));
    return set;
  }
  const yesNo = q.options.length === 2 && q.options.includes("true") && q.options.includes("false");
  // National lines read as they are printed in tariffs: 1601.00.100.
  const dotted = (code) => /^\d{7,}$/.test(code) ? `${code.slice(0, 4)}.${code.slice(4, 6)}.${code.slice(6)}` : code;
  const choices = yesNo ? [["true", t("s4.q.yes")], ["false", t("s4.q.no")]] : q.options.map((o) => [o, dotted(o)]);
  if (!choices.length) {
    const id = `${name}-text`;
    set.append(el("label", {for: id, class: "visually-hidden", text: q.question}), el("input", {id, autocomplete: "off", "data-answer": name}));
    return set;
  }
  set.append(radios(name, [...choices, ["", t("s4.q.skip")]], state.facts[q.key] ?? ""));
  return set;
}

function renderQuestions(c) {
  const form = $("needed");
  const questions = mergedQuestions(c.needed || []);
  form.replaceChildren();
  form.hidden = !questions.length;
  if (!questions.length) return;
  form.append(el("h2", {text: t("s4.questions")}), el("p", {class: "hint", text: t("s4.questions.hint")}));
  questions.forEach((q, i) => form.append(questionControl(q, i)));
  form.append(el("div", {class: "actions"}, el("button", {type: "submit", id: "answer-go", text: t("s4.q.go")})));
}

// An answer goes where the engine reads it: a fact, the product's national line, a material's code or weight.
function applyAnswers() {
  const rows = [...$("material-rows").querySelectorAll("tr")];
  const rowNamed = (name) => rows.find((r) => r.querySelector('[data-field="name"]').value.trim() === name);
  for (const set of $("needed").querySelectorAll("fieldset.question")) {
    const key = set.dataset.key;
    if (key === "materials.weight_kg") {
      for (const input of set.querySelectorAll("input[data-answer=weight]")) {
        if (input.id.endsWith("-product")) { $("product-weight").value = input.value; continue; }
        const row = rows[Number(input.id.split("-m").pop())];
        if (row) row.querySelector('[data-field="weight"]').value = input.value;
      }
      continue;
    }
    const picked = set.querySelector("input[type=radio]:checked");
    const typed = set.querySelector("input:not([type=radio])");
    const value = picked ? picked.value : typed ? typed.value.trim() : "";
    const material = key.match(/^materials\.(.+)\.hs$/);
    if (key === "product.hs") { if (value) { $("hs-code").value = value; state.factsHs = value; } }
    else if (material) { const row = rowNamed(material[1]); if (row && value) row.querySelector('[data-field="hs"]').value = value; }
    else if (value === "") delete state.facts[key];
    else state.facts[key] = value === "true" ? true : value === "false" ? false : value;
  }
  save();
}

async function answerQuestions(event) {
  event.preventDefault();
  applyAnswers();
  if (await runCompare()) {
    show(4, {push: false, focus: false});
    $("result-status").textContent = `${t("s4.q.done")} ${$("result-status").textContent}`;
    $("h-4").focus();
  }
}

// --- step 4: how could it qualify? ----------------------------------------------------------------------
async function runAdvice() {
  clearErrors(4);
  if (!state.request) return;
  try {
    state.advice = await postJson("/advice", {request: state.request});
    renderAdvice(state.advice);
  } catch (err) {
    showErrors(4, serverErrors(err));
  }
}

function renderAdvice(a) {
  const box = el("div", {class: "panel advice"}, el("h2", {id: "advice-h", tabindex: "-1", text: t("s4.advice.h")}));
  for (const ag of a.agreements) {
    const part = el("section", {"data-agreement": ag.agreement, "aria-label": ag.agreement},
      el("h3", {text: `${ag.agreement}: ${t(`outcome.${ag.outcome}`)}`}), el("p", {text: ag.message}));
    if (ag.suggestions.length) {
      const list = el("ol");
      for (const s of ag.suggestions) list.append(el("li", {text: `${s.steps.join("; ")} → ${t(`outcome.${s.outcome}`)} (${s.criterion || "—"})`}));
      part.append(list);
    }
    for (const f of ag.fact_answers) {
      part.append(el("p", {text: t("s4.advice.answer", {question: f.question, answer: f.answer === true ? t("s4.q.yes") : f.answer === false ? t("s4.q.no") : f.answer, criterion: f.criterion || "—"})}));
    }
    box.append(part);
  }
  if (a.ranking.length) {
    const list = el("ol");
    for (const r of a.ranking) list.append(el("li", {text: r.text + (r.note ? ` — ${r.note}` : "")}));
    box.append(el("h3", {text: t("s4.advice.ranking")}), list);
  }
  $("advice").replaceChildren(box);
  $("advice-h").focus();
}

// --- step 5: proof --------------------------------------------------------------------------------------
const SHIPMENT = ["exporter", "producer", "consignee", "transport", "invoice_number", "invoice_date", "quantity", "marks"];
const shipmentId = (key) => `ship-${key.replace("_", "-")}`;

function readShipment() {
  const out = {};
  for (const key of SHIPMENT) if ($(shipmentId(key)).value.trim()) out[key] = $(shipmentId(key)).value.trim();
  return out;
}

// Each form of the draft as its boxes: number, what the box asks, and what the draft puts there.
function renderForms(draft) {
  const box = $("proof-forms");
  box.replaceChildren();
  for (const form of draft.forms) {
    const rows = el("tbody");
    for (const f of form.fields) {
      rows.append(el("tr", {class: `box ${f.status}`, "data-box": f.box},
        el("th", {scope: "row", "data-label": t("s5.col.box"), text: f.box}),
        el("td", {"data-label": t("s5.col.label"), text: f.label}),
        el("td", {"data-label": t("s5.col.value")}, f.value, el("br"), el("span", {class: "muted", text: t(`status.${f.status}`)}))));
    }
    box.append(el("section", {class: "form-draft", "data-form": form.form, "aria-label": form.title},
      el("h3", {text: form.title}), el("p", {class: "muted", text: form.issued_by}),
      el("div", {class: "table-wrap"}, el("table", {},
        el("thead", {}, el("tr", {}, el("th", {scope: "col", text: t("s5.col.box")}), el("th", {scope: "col", text: t("s5.col.label")}),
          el("th", {scope: "col", text: t("s5.col.value")}))), rows))));
  }
}

async function runProof(event) {
  event.preventDefault();
  clearErrors(5);
  const agreement = $("proof-agreement").value;
  $("proof-options").replaceChildren();
  $("proof-forms").replaceChildren();
  $("proof-download").hidden = true;
  if (!agreement) return showErrors(5, [{field: "proof-agreement", message: t("e.proof.none")}]);
  if (!state.request && !(await runCompare())) return;
  const body = {request: state.request, agreement, shipment: readShipment()};
  try {
    const data = await postJson("/app/proof", body);
    const list = el("ul", {class: "proof-options"});
    for (const o of data.requirements.options) {
      const item = el("li", {"data-proof": o.id}, el("strong", {text: o.name}), ` — ${t(`proof.${o.status}`)}`);
      if (o.reason && o.reason !== o.status) item.append(el("p", {text: o.reason}));
      const more = el("details", {}, el("summary", {text: t("proof.more")}),
        el("p", {text: t("proof.issued", {who: o.issued_by})}));
      if (o.conditions && o.conditions.length) {
        const conditions = el("ul");
        for (const c of o.conditions) conditions.append(el("li", {text: c}));
        more.append(conditions);
      }
      item.append(more);
      list.append(item);
    }
    $("proof-options").replaceChildren(el("h2", {text: t("s5.under", {agreement})}), list,
      el("p", {text: t("s5.criterion", {code: data.draft.form_code || data.draft.criterion || "—"})}));
    renderForms(data.draft);
    const pdf = await api("/app/proof?format=pdf", {method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body)});
    const link = $("proof-link");
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(pdf);
    link.download = `draft-${agreement.toLowerCase()}-${data.draft.hs}.pdf`;
    $("proof-download").hidden = false;
  } catch (err) {
    showErrors(5, serverErrors(err));
  }
}

// --- records: sign in with the organisation's key, save, history, re-run, verification file ---------
// The key stays in sessionStorage (this tab only), never in the saved form.
const KEY = "noodlebowl.apikey";
let products = [];

function authed(path, options = {}) {
  return api(path, {...options, headers: {...(options.headers || {}), "X-API-Key": sessionStorage.getItem(KEY) || ""}});
}
const authedJson = (path, method, body) => authed(path, {method, headers: {"content-type": "application/json"}, body: JSON.stringify(body)});

async function signIn(event) {
  event.preventDefault();
  clearErrors("records");
  const key = $("api-key").value.trim();
  if (!key) return showErrors("records", [{field: "api-key", message: t("e.key.required")}]);
  sessionStorage.setItem(KEY, key);
  if (await refreshProducts()) { $("api-key").value = ""; $("signed-in-text").focus(); }
}

function signOut() {
  sessionStorage.removeItem(KEY);
  products = [];
  $("signin-form").hidden = false;
  $("signed-in").hidden = true;
  $("history").replaceChildren();
  $("save-status").replaceChildren();
}

async function refreshProducts() {
  try {
    products = await authed("/products");
  } catch (err) {
    sessionStorage.removeItem(KEY);
    showErrors("records", err.status === 401 ? [{field: "api-key", message: t("e.key.invalid")}] : serverErrors(err));
    return false;
  }
  $("signin-form").hidden = true;
  $("signed-in").hidden = false;
  $("signed-in-text").textContent = t("rec.signedin", {n: products.length});
  $("signed-in-text").setAttribute("tabindex", "-1");
  if (!$("save-name").value) $("save-name").value = $("product-desc").value;
  const choose = $("stmt-product");
  const chosen = choose.value;
  choose.replaceChildren(...products.map((p) => el("option", {value: p.id, text: p.name})));
  if (products.some((p) => p.id === chosen)) choose.value = chosen;
  const list = $("saved-products");
  list.replaceChildren();
  if (!products.length) list.append(el("li", {class: "muted", text: t("rec.none")}));
  for (const p of products) {
    const open = el("button", {type: "button", class: "link", text: t("rec.open", {name: p.name})});
    open.addEventListener("click", () => openProduct(p.id));
    const history = el("button", {type: "button", class: "link", text: t("rec.history.show", {name: p.name})});
    history.addEventListener("click", () => showHistory(p.id, p.name));
    list.append(el("li", {"data-product": p.id}, open, " · ", history));
  }
  return true;
}

async function saveRecord(event) {
  event.preventDefault();
  clearErrors("records");
  const name = $("save-name").value.trim();
  if (!name) return showErrors("records", [{field: "save-name", message: t("e.save.name")}]);
  const {request, errors} = buildRequest();
  if (errors.length) { show(3); return showErrors(3, errors); }
  const bom = {product: request.product, costs: request.costs || {}, materials: request.materials, facts: request.facts || {}};
  const route = {exporter: request.exporter, importer: request.importer, date: request.date};
  if (request.customs_value) route.customs_value = request.customs_value;
  try {
    const existing = products.find((p) => p.name === name);
    const id = existing ? existing.id : (await authedJson("/products", "POST", {name, bom})).id;
    if (existing) await authedJson(`/products/${id}/bom`, "PUT", {bom, note: "saved from the web app"});
    const record = await authedJson(`/products/${id}/determinations`, "POST", route);
    await refreshProducts();
    $("save-status").replaceChildren(el("p", {class: "ok", text: t("rec.saved", {name, version: record.bom_version, date: record.created_at.slice(0, 10)})}));
    await showHistory(id, name);
  } catch (err) {
    showErrors("records", serverErrors(err));
  }
}

async function openProduct(id) {
  clearErrors("records");
  try {
    const p = await authed(`/products/${id}`);
    const bom = p.bom || {};
    const product = bom.product || {};
    $("hs-code").value = product.hs || "";
    $("product-desc").value = product.description || "";
    $("fob").value = product.fob || "";
    $("currency").value = product.currency || "USD";
    $("product-weight").value = product.weight_kg || "";
    for (const [inputId, key] of COSTS) $(inputId).value = (bom.costs || {})[key] || "";
    state.facts = {...(bom.facts || {})};
    state.factsHs = product.hs || null;
    const wo = state.facts.wholly_obtained;
    for (const radio of document.querySelectorAll('input[name="wo"]')) radio.checked = wo === undefined ? radio.value === "" : radio.value === String(wo);
    delete state.facts.wholly_obtained;
    $("material-rows").replaceChildren();
    (bom.materials && bom.materials.length ? bom.materials : [{}]).forEach((m) => addMaterial(m));
    $("save-name").value = p.name;
    state.comparison = null;
    updateWhollyObtained();
    save();
    $("save-status").replaceChildren(el("p", {class: "ok", text: t("rec.opened", {name: p.name, version: p.latest_version})}));
    show(3);
  } catch (err) {
    showErrors("records", serverErrors(err));
  }
}

async function showHistory(id, name, note = null) {
  const records = await authed(`/products/${id}/determinations`);
  const rows = el("tbody");
  for (const r of records) {
    const rerun = el("button", {type: "button", class: "secondary", text: t("rec.rerun")});
    rerun.addEventListener("click", () => rerunRecord(r.id, id, name));
    const pdf = el("button", {type: "button", class: "secondary", text: t("rec.export")});
    pdf.addEventListener("click", () => exportRecord(r.id));
    const share = (r.answer.options || []).filter((o) => o.outcome === "qualifies").map((o) => {
      const button = el("button", {type: "button", class: "link", "data-share": o.agreement, text: t("st.share", {agreement: o.agreement})});
      button.addEventListener("click", () => shareStatement(r.id, o.agreement));
      return button;
    });
    rows.append(el("tr", {"data-record": r.id},
      el("td", {"data-label": t("rec.col.date"), text: r.created_at.replace("T", " ").slice(0, 16)}),
      el("td", {"data-label": t("rec.col.route"), text: `${countryName(r.request.exporter)} → ${countryName(r.request.importer)}, ${r.request.date}`}),
      el("td", {"data-label": t("rec.col.best"), text: r.answer.best}),
      el("td", {"data-label": t("rec.col.data"), text: r.data_version}),
      el("td", {"data-label": t("rec.col.actions")}, rerun, " ", pdf, ...share.flatMap((b) => [" ", b]))));
  }
  const table = el("table", {}, el("caption", {text: t("rec.history", {name})}),
    el("thead", {}, el("tr", {}, ...["rec.col.date", "rec.col.route", "rec.col.best", "rec.col.data", "rec.col.actions"]
      .map((k) => el("th", {scope: "col", text: t(k)})))), rows);
  $("history").replaceChildren(...(note ? [note] : []), el("div", {class: "table-wrap"}, table), el("div", {id: "share-links"}));
}

async function rerunRecord(recordId, productId, name) {
  clearErrors("records");
  try {
    const {diff} = await authedJson(`/determinations/${recordId}/rerun`, "POST", {});
    const note = el("div", {class: "panel rerun", "data-rerun": recordId});
    if (!diff.changed) note.append(el("p", {text: t("rec.rerun.same", {data: diff.data_version.new})}));
    else {
      const list = el("ul");
      if (diff.best.changed) list.append(el("li", {text: t("rec.change", {agreement: t("rec.col.best"), field: "best", old: diff.best.old, new: diff.best.new})}));
      for (const a of diff.agreements) {
        for (const c of a.changes) list.append(el("li", {text: t("rec.change", {agreement: a.agreement, field: c.field, old: c.old ?? "—", new: c.new ?? "—"})}));
        for (const why of a.why) list.append(el("li", {class: "muted", text: t("rec.why", {why})}));
      }
      note.append(el("p", {text: t("rec.rerun.changed")}), list);
    }
    await showHistory(productId, name, note);
  } catch (err) {
    showErrors("records", serverErrors(err));
  }
}

async function exportRecord(recordId) {
  clearErrors("records");
  try {
    await download(`/determinations/${recordId}/export?format=pdf`, `determination-${recordId}.pdf`);
  } catch (err) {
    showErrors("records", serverErrors(err));
  }
}

async function shareStatement(recordId, agreement) {
  clearErrors("records");
  try {
    const link = await authed(`/determinations/${recordId}/statement?agreement=${encodeURIComponent(agreement)}`);
    const id = `share-${agreement}`;
    $("share-links").replaceChildren(el("label", {for: id, text: t("st.url", {agreement})}),
      el("input", {id, readonly: true, value: link.url, class: "share-url"}));
    $(id).select();
  } catch (err) {
    showErrors("records", serverErrors(err));
  }
}

async function importStatement(event) {
  event.preventDefault();
  clearErrors("records");
  const link = $("stmt-link").value.trim();
  const token = link.split("/statements/").pop().split(/[?#]/)[0];
  const material = $("stmt-material").value.trim();
  const errors = [];
  if (!token) errors.push({field: "stmt-link", message: t("e.st.link")});
  if (!$("stmt-product").value) errors.push({field: "stmt-product", message: t("e.st.product")});
  if (!material) errors.push({field: "stmt-material", message: t("e.st.material")});
  if (errors.length) return showErrors("records", errors);
  try {
    const done = await authedJson("/statements/import", "POST", {token, product_id: $("stmt-product").value, material});
    const name = $("stmt-product").selectedOptions[0].textContent;
    $("statement-status").replaceChildren(el("p", {class: "ok", text: t("st.done", {material, name, agreement: done.agreement || "", version: done.bom_version})}));
    await refreshProducts();
  } catch (err) {
    const b = err.body || {};
    const field = {material: "stmt-material", token: "stmt-link", "statement link": "stmt-link", "body.material": "stmt-material",
      "body.token": "stmt-link", "body.product_id": "stmt-product"}[b.where] || (err.status === 404 ? "stmt-link" : null);
    showErrors("records", field ? [{field, message: b.what + (b.accepted ? ` (${b.accepted})` : "")}] : serverErrors(err));
  }
}

// --- a whole catalog: upload, progress, results and rejects ------------------------------------------
const POLL_MS = 1000;

async function download(path, filename) {
  const blob = await authed(path);
  const link = el("a", {href: URL.createObjectURL(blob), download: filename});
  document.body.append(link);
  link.click();
  link.remove();
}

async function runCatalog(event) {
  event.preventDefault();
  clearErrors("records");
  const errors = [];
  if (!$("cat-products").files[0]) errors.push({field: "cat-products", message: t("e.cat.products")});
  if (!$("cat-bom").files[0]) errors.push({field: "cat-bom", message: t("e.cat.bom")});
  if (errors.length) return showErrors("records", errors);
  const form = new FormData();
  form.append("products", $("cat-products").files[0]);
  form.append("bom", $("cat-bom").files[0]);
  try {
    let job = await authed("/batch/jobs", {method: "POST", body: form});
    const status = $("catalog-status");
    const bar = el("progress", {max: "1", value: "0", "aria-label": t("cat.h")});
    const line = el("p", {text: t("cat.queued")});
    status.replaceChildren(line, bar);
    while (job.status === "queued" || job.status === "running") {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      job = await authed(`/batch/jobs/${job.id}`);
      if (job.progress.total) {
        bar.max = String(job.progress.total);
        bar.value = String(job.progress.done);
        line.textContent = t("cat.progress", job.progress);
      }
    }
    if (job.status !== "done") { status.replaceChildren(el("p", {class: "error", text: t("cat.failed", {error: job.error || job.status})})); return; }
    renderCatalog(job);
  } catch (err) {
    const b = err.body || {};
    const field = /^bom/.test(b.where || "") ? "cat-bom" : /^products/.test(b.where || "") ? "cat-products" : null;
    showErrors("records", field ? [{field, message: b.what}] : serverErrors(err));
  }
}

function renderCatalog(job) {
  const s = job.summary || {};
  const rows = el("tbody");
  for (const [agreement, n] of Object.entries(s.by_agreement || {})) {
    rows.append(el("tr", {"data-agreement": agreement}, el("th", {scope: "row", "data-label": t("cat.col.agreement"), text: agreement}),
      el("td", {"data-label": t("cat.col.yes"), text: String(n.qualifies)}), el("td", {"data-label": t("cat.col.no"), text: String(n.does_not_qualify)}),
      el("td", {"data-label": t("cat.col.open"), text: String(n.undetermined)})));
  }
  const table = el("table", {}, el("caption", {text: t("cat.table")}), el("thead", {}, el("tr", {},
    ...["cat.col.agreement", "cat.col.yes", "cat.col.no", "cat.col.open"].map((k) => el("th", {scope: "col", text: t(k)})))), rows);
  const reasons = el("ol");
  for (const r of s.top_reasons || []) reasons.append(el("li", {text: `${r.reason} (${r.count})`}));
  const results = el("button", {type: "button", class: "secondary", id: "catalog-results", text: t("cat.results")});
  results.addEventListener("click", () => download(`/batch/jobs/${job.id}/results`, `results-${job.id}.csv`).catch((err) => showErrors("records", serverErrors(err))));
  const rejects = el("button", {type: "button", class: "secondary", id: "catalog-rejects", text: t("cat.rejects")});
  rejects.addEventListener("click", () => download(`/batch/jobs/${job.id}/rejects`, `rejects-${job.id}.csv`).catch((err) => showErrors("records", serverErrors(err))));
  $("catalog-status").replaceChildren(el("p", {class: "ok", text: t("cat.done", {products: s.products ?? 0, rejects: s.rejects ?? 0})}),
    el("div", {class: "table-wrap"}, table), ...(reasons.childElementCount ? [el("h3", {text: t("cat.reasons")}), reasons] : []),
    el("div", {class: "actions"}, results, rejects));
}

// --- wiring ----------------------------------------------------------------------------------------------
async function toResult(event) {
  if (event) event.preventDefault();
  if (await runCompare()) show(4);
}

async function openStep(step, push, focus = true) {
  // Steps after the route need the route's answer; the result is recomputed, never replayed from storage.
  if (step >= 4 && !state.comparison) {
    if (!(await runCompare())) return;
  }
  show(step, {push, focus});
  if (step === 3 || step === 2) updateWhollyObtained();
  if (step === 2) showAgreements();
}

document.addEventListener("DOMContentLoaded", async () => {
  // Handlers first: a click before the words have loaded must not submit a form the old way.
  $("lang").addEventListener("change", changeLanguage);
  $("search-form").addEventListener("submit", search);
  $("product-form").addEventListener("submit", toRoute);
  $("route-form").addEventListener("submit", toMaterials);
  for (const id of ["exporter", "importer", "date"]) $(id).addEventListener("change", () => { showAgreements(); updateWhollyObtained(); });
  $("add-material").addEventListener("click", () => { addMaterial(); save(); });
  $("bom-file").addEventListener("change", upload);
  $("bom-form").addEventListener("submit", toResult);
  $("needed").addEventListener("submit", answerQuestions);
  $("advice-go").addEventListener("click", runAdvice);
  $("to-step-5").addEventListener("click", () => show(5));
  $("proof-form").addEventListener("submit", runProof);
  $("signin-form").addEventListener("submit", signIn);
  $("signout").addEventListener("click", signOut);
  $("save-form").addEventListener("submit", saveRecord);
  $("catalog-form").addEventListener("submit", runCatalog);
  $("statement-form").addEventListener("submit", importStatement);
  for (const b of document.querySelectorAll("[data-back]")) b.addEventListener("click", () => show(Number(b.dataset.back)));
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button.term");
    if (button) toggleTerm(button);
  });
  document.addEventListener("input", save);
  document.addEventListener("change", save);
  window.addEventListener("popstate", (event) => openStep((event.state && event.state.step) || 1, false));
  await loadLanguage(chooseLanguage());
  restore();
  updateWhollyObtained();
  const step = Math.min(Math.max(Number(new URLSearchParams(location.search).get("step")) || 1, 1), 5);
  history.replaceState({step}, "", `?step=${step}`);
  await openStep(step, false, false);   // a fresh page starts at the skip link, not inside the form
  if (sessionStorage.getItem(KEY)) await refreshProducts();
  document.body.dataset.ready = "true";
  api("/version").then((v) => { $("data-version").textContent = v.data_version; }).catch(() => {});
});

async function changeLanguage() {
  localStorage.setItem("noodlebowl.lang", $("lang").value);
  const rows = readRows();
  await loadLanguage($("lang").value);
  $("material-rows").replaceChildren();
  rows.forEach((m) => addMaterial(m));
  updateWhollyObtained();
  if (state.comparison) renderComparison(state.comparison);
  if (state.advice) renderAdvice(state.advice);
  show(state.step, {push: false, focus: false});
}
