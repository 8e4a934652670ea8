// The VP panel: shows what the server's scripts send it (the runMacro action "vpPanel").
// No inline script and no HTML built from text: every value is set with textContent.
import { registerCallback } from "./custom-scripts/index.js";

const SWEDISH = {
  ".xlwings-office-ready-error-inner > div": "Tillägget kunde inte läsas in.",
  "#xlwings-taskpane-reload-btn": "Läs in igen",
  "#xlwings-taskpane-reload-cancel-btn": "Avbryt",
};

function byId(id) {
  return document.getElementById(id);
}

function showFindings(findings) {
  const body = byId("vp-fynd");
  const table = byId("vp-fynd-tabell");
  const empty = byId("vp-fynd-tomt");
  if (!body || !table || !empty) {
    return;
  }
  body.replaceChildren();
  for (const finding of findings) {
    const row = document.createElement("tr");
    for (const key of ["plats", "regel", "text"]) {
      const cell = document.createElement("td");
      cell.textContent = finding[key] ?? "";
      row.appendChild(cell);
    }
    body.appendChild(row);
  }
  table.classList.toggle("d-none", findings.length === 0);
  empty.classList.toggle("d-none", findings.length !== 0);
  if (findings.length === 0) {
    empty.textContent = "0 fynd: arbetsboken stämmer med regelboken.";
  }
  byId("vp-fynd-antal").textContent = String(findings.length);
}

// Called by xlwings.js for the action runMacro("vpPanel", data): (context, data).
async function vpPanel(context, data) {
  data = data || {};
  if (typeof data.forklaring === "string") {
    byId("vp-forklaring").textContent = data.forklaring || "Ingen förklaring.";
  }
  if (Array.isArray(data.fynd)) {
    showFindings(data.fynd);
  }
  if (data.fel) {
    byId("vp-fynd-tomt").textContent = data.fel;
    byId("vp-fynd-tomt").classList.remove("d-none");
  }
  if (typeof data.meddelande === "string") {
    byId("vp-meddelande").textContent = `${data.knapp || "VP"}: ${data.meddelande}`;
  }
}
registerCallback(vpPanel);

function swedishFrame() {
  document.documentElement.lang = "sv";
  for (const [selector, text] of Object.entries(SWEDISH)) {
    const element = document.querySelector(selector);
    if (element) {
      element.textContent = text;
    }
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", swedishFrame);
} else {
  swedishFrame();
}

globalThis.vpPanel = vpPanel;
