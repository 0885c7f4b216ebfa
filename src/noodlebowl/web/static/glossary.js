// The glossary page from the message catalogue (the same entries the app shows in place), in the
// reader's language: the one chosen in the app, else the browser's.
"use strict";

const TERMS = ["wo", "pe", "cc", "cth", "ctsh", "rvc", "fob", "de-minimis", "cumulation", "mfn"];

function chooseLanguage() {
  const saved = localStorage.getItem("noodlebowl.lang");
  if (saved === "en" || saved === "vi") return saved;
  return (navigator.languages || [navigator.language]).some((l) => (l || "").toLowerCase().startsWith("vi")) ? "vi" : "en";
}

document.addEventListener("DOMContentLoaded", async () => {
  const lang = chooseLanguage();
  const messages = await (await fetch(`/static/i18n/${lang}.json`)).json();
  const t = (key) => messages[key] ?? key;
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  document.title = `${t("glossary.title")} – noodlebowl`;
  // The page carries the English entries (readable without script); each is set from the catalogue.
  for (const term of TERMS) {
    const dt = document.getElementById(term);
    dt.textContent = t(`glossary.${term}.term`);
    const [definition, example] = dt.nextElementSibling.querySelectorAll("p");
    definition.textContent = t(`glossary.${term}.def`);
    example.textContent = t(`glossary.${term}.example`);
    document.querySelector(`#terms a[href="#${term}"]`).textContent = t(`glossary.${term}.term`);
  }
  if (location.hash) document.getElementById(location.hash.slice(1))?.scrollIntoView();
  document.body.dataset.ready = "true";
});
