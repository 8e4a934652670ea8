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
  const list = byId("vp-fynd");
  const empty = byId("vp-fynd-tomt");
  if (!list || !empty) {
    return;
  }
  list.replaceChildren();
  for (const finding of findings) {
    const item = document.createElement("li");
    const place = document.createElement("strong");
    place.textContent = finding.plats || "";
    const rule = document.createElement("span");
    rule.className = "badge text-bg-light ms-1";
    rule.textContent = finding.regel || "";
    const text = document.createElement("div");
    text.textContent = finding.text || "";
    item.append(place, rule, text);
    list.appendChild(item);
  }
  list.classList.toggle("d-none", findings.length === 0);
  empty.classList.toggle("d-none", findings.length !== 0);
  if (findings.length === 0) {
    empty.textContent = "0 fynd: arbetsboken stämmer med regelboken.";
  }
  byId("vp-fynd-antal").textContent = String(findings.length);
}

// The period's state ("Delår 1 2025: Utkast" or "… Fastställd av … den …") and its missing analyses.
function showPeriod(data) {
  const line = byId("vp-period");
  const list = byId("vp-saknas");
  if (!line || !list) {
    return;
  }
  line.textContent = data.period
    ? `${data.period}: ${data.tillstand}`
    : "Ingen period: skriv perioden i Översikt (Uppföljningsperiod).";
  list.replaceChildren();
  for (const text of data.saknas) {
    const item = document.createElement("li");
    item.textContent = text;
    list.appendChild(item);
  }
  list.classList.toggle("d-none", data.saknas.length === 0);
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
  if (Array.isArray(data.saknas)) {
    showPeriod(data);
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

function jsonBlock(id) {
  const element = byId(id);
  return element ? JSON.parse(element.textContent) : {};
}

function fileName(disposition, fallback) {
  const match = /filename\*=UTF-8''([^;]+)/i.exec(disposition || "");
  return match ? decodeURIComponent(match[1]) : fallback;
}

// A button whose result is a file (Rapport): the workbook goes to the server, the file comes back
// and is offered as a link (a click is a person's choice to save it; Excel's pane allows that).
async function vpDownload(tag) {
  const section = byId("vp-fil");
  const text = byId("vp-fil-text");
  const link = byId("vp-fil-lank");
  section.classList.remove("d-none");
  link.classList.add("d-none");
  text.textContent = "Rapporten görs …";
  try {
    const path = jsonBlock("vp-config").downloads[tag];
    const appPath = jsonBlock("config").appPath || "";
    const auth =
      typeof globalThis.getAuth === "function"
        ? await globalThis.getAuth()
        : { token: "", provider: "" };
    const headers = { "Auth-Provider": auth.provider };
    const payload = await globalThis.xlwings.getBookData({ auth: auth.token, headers });
    const response = await fetch(window.location.origin + appPath + path, {
      method: "POST",
      headers: headers,
      body: JSON.stringify(payload),
    });
    if (!response.ok) {
      text.textContent = await response.text();
      return;
    }
    const name = fileName(response.headers.get("Content-Disposition"), "VP-rapport.docx");
    if (link.href.startsWith("blob:")) {
      URL.revokeObjectURL(link.href);
    }
    link.href = URL.createObjectURL(await response.blob());
    link.download = name;
    link.textContent = `Hämta ${name}`;
    link.classList.remove("d-none");
    text.textContent = "Rapporten är klar. Arbetsboken är inte ändrad.";
  } catch (error) {
    text.textContent = `VP kunde inte göra rapporten: ${error}`;
  }
}
globalThis.vpDownload = vpDownload;

function bindDownloads() {
  for (const button of document.querySelectorAll("[data-vp-download]")) {
    button.addEventListener("click", () => vpDownload(button.dataset.vpDownload));
  }
}

function swedishFrame() {
  document.documentElement.lang = "sv";
  for (const [selector, text] of Object.entries(SWEDISH)) {
    const element = document.querySelector(selector);
    if (element) {
      element.textContent = text;
    }
  }
}

function ready() {
  swedishFrame();
  bindDownloads();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", ready);
} else {
  ready();
}

globalThis.vpPanel = vpPanel;
