// The trader's journey: product → route → materials → result → proof. Plain fetch calls to the
// JSON API; every value from the server is put in the page as text (never as markup).
"use strict";

const COUNTRIES = [["BN", "Brunei Darussalam"], ["KH", "Cambodia"], ["ID", "Indonesia"], ["LA", "Lao PDR"],
  ["MY", "Malaysia"], ["MM", "Myanmar"], ["PH", "Philippines"], ["SG", "Singapore"], ["TH", "Thailand"],
  ["VN", "Viet Nam"], ["CN", "China"], ["JP", "Japan"], ["KR", "Korea, Republic of"], ["AU", "Australia"],
  ["NZ", "New Zealand"]];
const KINDS = [["material", "material"], ["retail_packaging", "retail packaging"], ["packing", "packing for transport"],
  ["accessory", "accessory"], ["indirect", "indirect material"]];
const OUTCOME = {qualifies: "Yes", does_not_qualify: "No", undetermined: "Not yet known"};
const GLOSSARY = {WO: "wo", PE: "pe", CC: "cc", CTH: "cth", CTSH: "ctsh", RVC: "rvc"};

const state = {comparison: null, request: null};
const $ = (id) => document.getElementById(id);

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

async function api(path, options = {}) {
  const response = await fetch(path, options);
  const type = response.headers.get("content-type") || "";
  const body = type.includes("json") ? await response.json() : await response.blob();
  if (!response.ok) {
    const err = new Error(body && body.what ? body.what : `request failed (${response.status})`);
    err.body = body;
    throw err;
  }
  return body;
}

function explain(err) {
  const b = err.body || {};
  let text = b.what || err.message;
  if (b.where) text = `${b.where}: ${text}`;
  if (b.accepted) text += ` (accepted: ${b.accepted})`;
  if (b.suggestions && b.suggestions.length) text += `. Did you mean ${b.suggestions.slice(0, 5).join(", ")}?`;
  return text;
}

function show(step) {
  for (let i = 1; i <= 5; i++) {
    $(`step-${i}`).hidden = i !== step;
    const item = document.querySelector(`#steps li[data-step="${i}"]`);
    if (i === step) item.setAttribute("aria-current", "step"); else item.removeAttribute("aria-current");
  }
  const heading = $(`h-${step}`);
  heading.setAttribute("tabindex", "-1");
  heading.focus();
  document.title = `${heading.textContent} – noodlebowl`;
}

// --- step 1: product ----------------------------------------------------------------------------
async function search(event) {
  event.preventDefault();
  const q = $("search-q").value.trim();
  if (!q) return;
  const box = $("hits");
  box.replaceChildren(el("p", {class: "muted", text: "Searching…"}));
  $("search-results").hidden = false;
  try {
    const data = await api(`/hs/search?q=${encodeURIComponent(q)}&limit=8`);
    box.replaceChildren();
    if (!data.hits.length) box.append(el("p", {text: "Nothing found. Try other words, or enter the code below."}));
    data.hits.forEach((hit, i) => {
      const id = `hit-${i}`;
      const radio = el("input", {type: "radio", name: "hs-pick", id, value: hit.dotted});
      radio.addEventListener("change", () => {
        $("hs-code").value = hit.dotted;
        if (!$("product-desc").value) $("product-desc").value = q;
      });
      box.append(el("div", {class: "choice"}, radio,
        el("label", {for: id}, el("strong", {text: hit.dotted}), " ", hit.description)));
    });
  } catch (err) {
    box.replaceChildren(el("p", {class: "error", text: explain(err)}));
  }
}

async function toRoute(event) {
  event.preventDefault();
  const code = $("hs-code").value.trim();
  $("hs-error").textContent = "";
  if (!code) { $("hs-error").textContent = "Enter an HS code, or choose one from the search."; $("hs-code").focus(); return; }
  const six = code.replace(/\D/g, "").slice(0, 6);
  try {
    await api(`/hs/${encodeURIComponent(six.length >= 6 ? six : code)}`);
  } catch (err) {
    $("hs-error").textContent = explain(err);
    $("hs-code").focus();
    return;
  }
  show(2);
}

// --- step 2: route ------------------------------------------------------------------------------
function fillCountries() {
  for (const [id, preset] of [["exporter", "VN"], ["importer", "JP"]]) {
    const select = $(id);
    for (const [code, name] of COUNTRIES) select.append(el("option", {value: code, text: `${name} (${code})`}));
    select.value = preset;
  }
  $("date").value = new Date().toISOString().slice(0, 10);
}

async function showAgreements() {
  const box = $("agreements");
  $("route-error").textContent = "";
  const q = new URLSearchParams({exporter: $("exporter").value, importer: $("importer").value, date: $("date").value});
  try {
    const data = await api(`/agreements?${q}`);
    const list = el("ul");
    for (const a of data.agreements) {
      const state = a.in_force === true ? "in force" : a.in_force === false ? "not in force" : "uncertain";
      list.append(el("li", {}, el("strong", {text: a.agreement}), `: ${state}`, a.reason ? ` — ${a.reason}` : ""));
    }
    box.replaceChildren(el("h2", {text: "Agreements on this route"}), list);
    return data;
  } catch (err) {
    box.replaceChildren();
    $("route-error").textContent = explain(err);
    return null;
  }
}

async function toMaterials(event) {
  event.preventDefault();
  if ($("exporter").value === $("importer").value) {
    $("route-error").textContent = "The exporting and importing countries must differ.";
    return;
  }
  if (await showAgreements()) show(3);
}

// --- step 3: materials --------------------------------------------------------------------------
let rowCount = 0;
function addMaterial(m = {}) {
  const n = rowCount++;
  const cell = (name, label, input) => {
    input.id = `m-${name}-${n}`;
    input.dataset.field = name;
    return el("td", {"data-label": label}, el("label", {for: input.id, class: "visually-hidden", text: `${label}, line ${n + 1}`}), input);
  };
  const origin = el("input", {value: m.origin && m.origin !== "unknown" ? m.origin : "", maxlength: "7", autocomplete: "off",
    placeholder: "e.g. CN"});
  const originating = el("select");
  originating.append(el("option", {value: "false", text: "No / not proven"}), el("option", {value: "true", text: "Yes, proven"}));
  if (Array.isArray(m.originating)) {
    originating.append(el("option", {value: m.originating.join(";"), text: `Under ${m.originating.join(", ")} only`}));
    originating.value = m.originating.join(";");
  } else originating.value = m.originating ? "true" : "false";
  const kind = el("select");
  for (const [v, t] of KINDS) kind.append(el("option", {value: v, text: t}));
  kind.value = m.kind || "material";
  const remove = el("button", {type: "button", class: "link", text: "Remove"});
  const row = el("tr", {},
    cell("name", "Material", el("input", {value: m.name || "", autocomplete: "off"})),
    cell("hs", "HS code", el("input", {value: m.hs || "", inputmode: "decimal", autocomplete: "off"})),
    cell("origin", "Origin country", origin),
    cell("originating", "Originating?", originating),
    cell("value", "Value", el("input", {value: m.value || "", inputmode: "decimal", autocomplete: "off"})),
    cell("kind", "Kind", kind),
    el("td", {}, remove));
  remove.setAttribute("aria-label", `Remove material line ${n + 1}`);
  remove.addEventListener("click", () => row.remove());
  $("material-rows").append(row);
}

function readMaterials() {
  const out = [];
  for (const row of $("material-rows").querySelectorAll("tr")) {
    const get = (f) => row.querySelector(`[data-field="${f}"]`).value.trim();
    if (!get("name") && !get("value")) continue;
    const raw = get("originating");
    const m = {name: get("name"), value: get("value"), kind: get("kind"),
      originating: raw === "true" ? true : raw === "false" ? false : raw.split(";")};
    if (get("hs")) m.hs = get("hs");
    m.origin = get("origin") || "unknown";
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
    data.materials.forEach(addMaterial);
    const summary = el("p", {class: data.errors.length ? "error" : "ok",
      text: `${data.materials.length} material(s) read from ${file.name}` +
        (data.errors.length ? `; ${data.errors.length} problem(s):` : ".")});
    box.append(summary);
    if (data.errors.length) {
      const list = el("ul", {class: "error-list"});
      for (const e of data.errors) list.append(el("li", {text: `Row ${e.row}${e.column ? `, column ${e.column}` : ""}: ${e.what}` +
        (e.value ? ` (“${e.value}”)` : "")}));
      box.append(list);
    }
  } catch (err) {
    box.append(el("p", {class: "error", text: explain(err)}));
  }
}

function buildRequest() {
  const product = {hs: $("hs-code").value.trim(), fob: $("fob").value.trim(), currency: ($("currency").value.trim() || "USD").toUpperCase()};
  if ($("product-desc").value.trim()) product.description = $("product-desc").value.trim();
  const request = {exporter: $("exporter").value, importer: $("importer").value, date: $("date").value,
    product, materials: readMaterials()};
  const costs = {};
  for (const [id, key] of [["cost-labour", "direct_labour"], ["cost-overhead", "direct_overhead"], ["cost-profit", "profit"], ["cost-other", "other"]]) {
    if ($(id).value.trim()) costs[key] = $(id).value.trim();
  }
  if (Object.keys(costs).length) request.costs = costs;
  if ($("customs-value").value.trim()) request.customs_value = $("customs-value").value.trim();
  return request;
}

async function runCompare(event) {
  event.preventDefault();
  $("bom-error").textContent = "";
  if (!$("fob").value.trim()) { $("bom-error").textContent = "Enter the FOB price of the product."; $("fob").focus(); return; }
  const request = buildRequest();
  try {
    $("compare-go").disabled = true;
    const comparison = await api("/compare", {method: "POST", headers: {"content-type": "application/json"},
      body: JSON.stringify(request)});
    state.request = request;
    state.comparison = comparison;
    renderComparison(comparison);
    show(4);
  } catch (err) {
    $("bom-error").textContent = explain(err);
  } finally {
    $("compare-go").disabled = false;
  }
}

// --- step 4: result -----------------------------------------------------------------------------
function criterionNode(text) {
  if (!text) return document.createTextNode("—");
  const span = el("span");
  const key = Object.keys(GLOSSARY).find((k) => text.toUpperCase().startsWith(k));
  if (key) span.append(el("a", {href: `/glossary#${GLOSSARY[key]}`, text}));
  else span.append(text);
  return span;
}

function money(value, currency) { return value === null || value === undefined ? "—" : `${value} ${currency}`; }

function renderComparison(c) {
  $("result-status").textContent = `Compared for ${c.exporter} → ${c.importer} on ${c.date}, HS ${c.product_hs}.`;
  $("best").hidden = false;
  $("best-name").textContent = c.best;
  $("best-reason").textContent = c.best_reason;
  const rows = $("comparison-rows");
  rows.replaceChildren();
  const byAgreement = Object.fromEntries(c.determinations.map((d) => [d.agreement, d]));
  if (c.mfn) {
    rows.append(el("tr", {"data-option": "MFN"},
      el("th", {scope: "row", "data-label": "Option"}, el("a", {href: "/glossary#mfn", text: "MFN"}), " (no agreement)"),
      el("td", {"data-label": "Qualifies?", text: "—"}), el("td", {"data-label": "Criterion", text: "—"}),
      el("td", {"data-label": "Rate", class: "rate", text: c.mfn.rate || c.mfn.raw || "unknown"}),
      el("td", {"data-label": "Duty", class: "duty", text: money(c.mfn.duty, c.currency)}),
      el("td", {"data-label": "Saving", text: "—"}),
      el("td", {"data-label": "Why", text: "The normal rate for goods from any WTO member."})));
  }
  for (const o of c.options) {
    const d = byAgreement[o.agreement] || {};
    const saving = o.saving === null || o.saving === undefined ? "—" :
      (o.saving_unit === "percentage points" || o.saving_unit === "pp" ? `${o.saving} percentage points` : `${o.saving} ${o.saving_unit || c.currency}`);
    const why = el("td", {"data-label": "Why"}, d.summary || "");
    if (o.why_not_best) why.append(el("br"), el("span", {class: "muted", text: o.why_not_best}));
    rows.append(el("tr", {"data-option": o.agreement, class: o.agreement === c.best ? "best" : null},
      el("th", {scope: "row", "data-label": "Option", text: o.agreement}),
      el("td", {"data-label": "Qualifies?", class: `outcome ${o.outcome}`, text: OUTCOME[o.outcome] || o.outcome}),
      el("td", {"data-label": "Criterion"}, criterionNode(o.criterion)),
      el("td", {"data-label": "Rate", class: "rate", text: o.rate ? (o.rate.rate || o.rate.raw || "unknown") : "no rate"}),
      el("td", {"data-label": "Duty", class: "duty", text: o.rate ? money(o.rate.duty, c.currency) : "—"}),
      el("td", {"data-label": "Saving", class: "saving", text: saving}),
      why));
  }
  $("comparison").hidden = false;
  const unmodelled = $("unmodelled");
  unmodelled.replaceChildren();
  if (c.unmodelled_cheaper.length) {
    const list = el("ul");
    for (const u of c.unmodelled_cheaper) list.append(el("li", {}, el("strong", {text: u.regime}), ` (${u.rate}): ${u.note}`));
    unmodelled.append(el("div", {class: "panel notice"}, el("h2", {text: "Possibly cheaper, not checked by noodlebowl"}), list));
  }
  const needed = $("needed");
  needed.replaceChildren();
  if (c.needed.length) {
    const list = el("ul");
    for (const q of c.needed) list.append(el("li", {text: `${q.question} (decides ${q.agreements.join(", ")})`}));
    needed.append(el("h2", {text: "Questions that would settle the answer"}), list);
  }
  const caveats = $("caveats");
  caveats.replaceChildren();
  if (c.caveats.length) {
    const list = el("ul");
    for (const t of c.caveats) list.append(el("li", {text: t}));
    caveats.append(el("h2", {text: "Good to know"}), list);
  }
  const select = $("proof-agreement");
  select.replaceChildren();
  const qualifying = c.options.filter((o) => o.outcome === "qualifies");
  for (const o of qualifying) select.append(el("option", {value: o.agreement, text: o.agreement}));
  if (!qualifying.length) select.append(el("option", {value: "", text: "No agreement qualifies yet"}));
  if (qualifying.some((o) => o.agreement === c.best)) select.value = c.best;
}

// --- step 5: proof ------------------------------------------------------------------------------
async function runProof(event) {
  event.preventDefault();
  const agreement = $("proof-agreement").value;
  $("proof-error").textContent = "";
  $("proof-options").replaceChildren();
  $("proof-download").hidden = true;
  if (!agreement) { $("proof-error").textContent = "Your product does not qualify under any agreement yet, so no proof of origin can be drafted."; return; }
  const body = JSON.stringify({request: state.request, agreement});
  const headers = {"content-type": "application/json"};
  try {
    const data = await api("/proof", {method: "POST", headers, body});
    const list = el("ul");
    for (const o of data.requirements.options) {
      list.append(el("li", {}, el("strong", {text: o.name}), ` — ${o.status.replace(/_/g, " ")}`, o.reason ? `: ${o.reason}` : ""));
    }
    $("proof-options").replaceChildren(el("h2", {text: `Proof of origin under ${agreement}`}), list,
      el("p", {text: `Criterion to declare: ${data.draft.form_code || data.draft.criterion || "—"}.`}));
    const pdf = await api("/proof?format=pdf", {method: "POST", headers, body});
    const link = $("proof-link");
    if (link.href) URL.revokeObjectURL(link.href);
    link.href = URL.createObjectURL(pdf);
    link.download = `draft-${agreement.toLowerCase()}-${data.draft.hs}.pdf`;
    $("proof-download").hidden = false;
  } catch (err) {
    $("proof-error").textContent = explain(err);
  }
}

// --- wiring -------------------------------------------------------------------------------------
document.addEventListener("DOMContentLoaded", () => {
  fillCountries();
  addMaterial();
  $("search-form").addEventListener("submit", search);
  $("product-form").addEventListener("submit", toRoute);
  $("route-form").addEventListener("submit", toMaterials);
  for (const id of ["exporter", "importer", "date"]) $(id).addEventListener("change", showAgreements);
  $("add-material").addEventListener("click", () => addMaterial());
  $("bom-file").addEventListener("change", upload);
  $("bom-form").addEventListener("submit", runCompare);
  $("to-step-5").addEventListener("click", () => show(5));
  $("proof-form").addEventListener("submit", runProof);
  for (const b of document.querySelectorAll("[data-back]")) b.addEventListener("click", () => show(Number(b.dataset.back)));
  document.querySelector('#steps li[data-step="1"]').setAttribute("aria-current", "step");
  api("/version").then((v) => { $("data-version").textContent = v.data_version; }).catch(() => {});
});
