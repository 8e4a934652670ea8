// Served instead of office.js in the browser test: an Excel host, as far as the VP panel needs one
// to load (the real office.js refuses to start outside Office). It records the ribbon functions the
// page associates, reports every console error/warning and uncaught error with a marker the test
// looks for, records the custom functions registered in the dev environment, and finally gives the panel the data a real `vp_panel` script call returned.
(function () {
  const mark = (kind) =>
    function (...args) {
      console.log(`VP-KONSOL-${kind}: ${args.map((a) => (a && a.stack) || String(a)).join(" ")}`);
    };
  console.error = mark("FEL");
  console.warn = mark("VARNING");
  window.addEventListener("error", (event) => console.log(`VP-KONSOL-FEL: ${event.message}`));
  window.addEventListener("unhandledrejection", (event) =>
    console.log(`VP-KONSOL-FEL: ${(event.reason && event.reason.stack) || event.reason}`),
  );

  const supported = {
    SharedRuntime: "1.1",
    CustomFunctionsRuntime: "1.4",
    CustomFunctions: "1.6",
    ExcelApi: "1.11",
  };
  const atMost = (version, limit) => {
    const [a, b] = String(version || "1.1").split(".").map(Number);
    const [c, d] = limit.split(".").map(Number);
    return a < c || (a === c && (b || 0) <= d);
  };
  const associated = [];
  let registered = [];
  const info = { host: "Excel", platform: "PC" };

  globalThis.Office = {
    HostType: { Excel: "Excel" },
    PlatformType: { PC: "PC", OfficeOnline: "OfficeOnline" },
    onReady(callback) {
      const ready = Promise.resolve(info);
      if (callback) {
        ready.then(callback);
      }
      return ready;
    },
    context: {
      requirements: {
        isSetSupported: (name, version) => name in supported && atMost(version, supported[name]),
      },
      ui: {},
      displayLanguage: "sv-SE",
      contentLanguage: "sv-SE",
    },
    actions: { associate: (name) => associated.push(name) },
    addin: { setStartupBehavior: async () => {}, showAsTaskpane: async () => {} },
  };
  globalThis.CustomFunctions = { associate() {}, Error: class {}, ErrorCode: {} };
  // The open workbook, when the test gives one ({sheet: [[formula or value, ...], ...]}, used range
  // from A1; names: {name: formula}): Excel.run reads it and records what the pane writes. Without
  // one Excel.run fails, and the pane must then stay quiet (no console error, nothing offered).
  const WORKBOOK = /*VP_WORKBOOK*/ null;
  const written = [];
  const fakeContext = () => {
    const sheetOf = (name) => ({
      name,
      getUsedRangeOrNullObject: () => ({
        load() {},
        isNullObject: false,
        formulas: WORKBOOK.sheets[name],
        rowIndex: 0,
        columnIndex: 0,
      }),
      getCell: (row, column) => ({
        set formulas(value) {
          written.push({ sheet: name, row, column, formula: value[0][0] });
        },
      }),
    });
    const names = Object.entries(WORKBOOK.names || {}).map(([name, formula]) => ({ name, formula }));
    return {
      sync: async () => {},
      workbook: {
        worksheets: {
          load() {},
          items: Object.keys(WORKBOOK.sheets).map(sheetOf),
          getItem: sheetOf,
        },
        names: {
          load() {},
          items: names,
          getItem: (name) => ({
            set formula(value) {
              written.push({ name, formula: value });
            },
          }),
        },
      },
    };
  };
  globalThis.Excel = {
    run: async (batch) => {
      if (!WORKBOOK) {
        throw new Error("Excel.run in the browser test without a workbook");
      }
      return batch(fakeContext());
    },
    // dev environment: xlwings registers the custom functions again when the page loads
    CustomFunctionManager: {
      register: async (metadata) => {
        registered = JSON.parse(metadata).functions.map((f) => f.id);
      },
    },
  };

  const PANEL_DATA = /*VP_PANEL_DATA*/ null;
  const PANEL_ERROR = /*VP_PANEL_ERROR*/ null;
  const started = Date.now();
  function finish() {
    const panel = globalThis.callbacks && globalThis.callbacks.vpPanel;
    const waiting = !registered.length && Date.now() - started < 3000; // the dev re-registration
    if (!panel || document.readyState !== "complete" || waiting) {
      setTimeout(finish, 50);
      return;
    }
    if (PANEL_DATA) {
      panel({}, PANEL_DATA);
    }
    if (PANEL_ERROR) {
      // what xlwings' runPython shows in the pane (errorDisplayMode "taskpane") for a refused call
      const box = document.getElementById("global-error-alert");
      box.querySelector("span").textContent = PANEL_ERROR;
      box.classList.remove("d-none");
    }
    const out = document.createElement("pre");
    out.id = "vp-test-associated";
    out.hidden = true;
    out.textContent = JSON.stringify({ associated, registered });
    document.body.appendChild(out);
    if (WORKBOOK) {
      switchFormulas();
    }
  }
  // With a workbook: press the pane's switch when it is offered, then report what was written.
  function switchFormulas(tries = 0) {
    const button = document.getElementById("vp-former-byt");
    const text = document.getElementById("vp-former-text");
    if (button && !button.classList.contains("d-none") && !button.disabled) {
      button.click();
    } else if (tries < 100 && !(text && text.textContent)) {
      setTimeout(() => switchFormulas(tries + 1), 50);
      return;
    }
    setTimeout(() => {
      const out = document.createElement("pre");
      out.id = "vp-test-written";
      out.hidden = true;
      out.textContent = JSON.stringify(written);
      document.body.appendChild(out);
    }, 300);
  }
  setTimeout(finish, 0);
})();
