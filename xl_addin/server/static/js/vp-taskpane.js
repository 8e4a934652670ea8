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

// POST to one of the VP server's routes, signed in as the ribbon's scripts are.
async function serverPost(path, body) {
  const appPath = jsonBlock("config").appPath || "";
  const auth =
    typeof globalThis.getAuth === "function"
      ? await globalThis.getAuth()
      : { token: "", provider: "" };
  const headers = { "Auth-Provider": auth.provider, Authorization: auth.token, "Content-Type": "application/json" };
  return fetch(window.location.origin + appPath + path, {
    method: "POST",
    headers: headers,
    body: JSON.stringify(typeof body === "function" ? await body(auth) : body),
  });
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
    const response = await serverPost(path, (auth) =>
      globalThis.xlwings.getBookData({ auth: auth.token, headers: { "Auth-Provider": auth.provider } }),
    );
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

// The classic add-in's formulas (=VP_X) in the open workbook: found with Office.js range.formulas,
// rewritten by the server (workbook.convert, the same reading as `vp convert`) and written back as
// =VP.X, which Excel stores in its own form. Only cells whose formula mentions VP are sent.
const MENTIONS_VP = /VP[._][A-Za-z]/i; // both forms: a workbook with both is refused

function columnName(index) {
  let name = "";
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) {
    name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  }
  return name;
}

async function readVpFormulas() {
  return Excel.run(async (context) => {
    const sheets = context.workbook.worksheets;
    sheets.load("items/name");
    const names = context.workbook.names;
    names.load("items/name,items/formula");
    await context.sync();
    const used = sheets.items.map((sheet) => {
      const range = sheet.getUsedRangeOrNullObject(true);
      range.load("formulas,rowIndex,columnIndex");
      return [sheet.name, range];
    });
    await context.sync();
    const cells = [];
    for (const [sheet, range] of used) {
      if (range.isNullObject) {
        continue;
      }
      range.formulas.forEach((line, i) =>
        line.forEach((formula, j) => {
          if (typeof formula === "string" && formula.startsWith("=") && MENTIONS_VP.test(formula)) {
            const row = range.rowIndex + i;
            const column = range.columnIndex + j;
            cells.push({ sheet, row, column, formula, where: `${sheet}!${columnName(column)}${row + 1}` });
          }
        }),
      );
    }
    for (const item of names.items) {
      if (typeof item.formula === "string" && MENTIONS_VP.test(item.formula)) {
        cells.push({ name: item.name, formula: item.formula, where: `namnet '${item.name}'` });
      }
    }
    return cells;
  });
}

async function askServer(cells) {
  const response = await serverPost("/vp/formler", { to: "server", cells });
  const answer = await response.json();
  if (!response.ok) {
    throw new Error(answer.fel || response.statusText);
  }
  return answer;
}

async function writeFormulas(cells, changes) {
  await Excel.run(async (context) => {
    for (const change of changes) {
      const cell = cells[change.index];
      if (cell.name) {
        context.workbook.names.getItem(cell.name).formula = change.formula;
      } else {
        context.workbook.worksheets.getItem(cell.sheet).getCell(cell.row, cell.column).formulas = [[change.formula]];
      }
    }
    await context.sync();
  });
}

async function vpFindClassicFormulas() {
  const section = byId("vp-former");
  const text = byId("vp-former-text");
  const button = byId("vp-former-byt");
  let cells;
  let answer;
  try {
    cells = await readVpFormulas();
    if (!cells.length) {
      return;
    }
    answer = await askServer(cells);
  } catch (error) {
    return; // no workbook to read (the pane outside Excel): nothing to offer
  }
  section.classList.remove("d-none");
  if (answer.fel) {
    text.textContent = answer.fel;
    return;
  }
  if (!answer.andras.length) {
    section.classList.add("d-none");
    return;
  }
  const count = answer.andras.length === 1 ? "1 formel" : `${answer.andras.length} formler`;
  text.textContent =
    `${count} använder det klassiska tilläggets VP-funktioner (VP_…), ` +
    "som visar #NAMN? här. Bytet skriver om dem till serverns (VP.…); inget annat i arbetsboken ändras.";
  button.classList.remove("d-none");
  button.onclick = async () => {
    button.disabled = true;
    text.textContent = "Byter …";
    try {
      await writeFormulas(cells, answer.andras);
      text.textContent = `${count} använder nu serverns VP-funktioner. Spara arbetsboken.`;
      button.classList.add("d-none");
    } catch (error) {
      text.textContent = `VP kunde inte byta formlerna: ${error}`;
      button.disabled = false;
    }
  };
}
globalThis.vpFindClassicFormulas = vpFindClassicFormulas;

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
  vpFindClassicFormulas();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", ready);
} else {
  ready();
}

globalThis.vpPanel = vpPanel;
