// The VP tab's buttons (manifest: <FunctionName>vp-TAG</FunctionName>): each runs the custom
// script TAG on the open workbook, or, for a file (Rapport), opens the pane that offers it. The
// list comes from the page's #vp-config data block, which the server fills from the classic
// ribbon (xl_addin/addin/customUI.xml).
function vpConfig() {
  const element = document.getElementById("vp-config");
  return element ? JSON.parse(element.textContent) : { buttons: [] };
}

// A button whose result is a file (Rapport): the pane opens and offers the file (vp-taskpane.js).
function vpDownloadHandler(tag) {
  return async function (event) {
    try {
      await Office.addin.showAsTaskpane();
      await globalThis.vpDownload(tag);
    } finally {
      event.completed();
    }
  };
}

// A button: the script TAG on the open workbook. A refusal by the server (not signed in: 401, a
// button that needs a role the user lacks: 403, a workbook over 5 MB: 413, ...) is shown in the
// pane, in the server's Swedish words, and the pane opens to show it.
function vpRibbonHandler(scriptName) {
  return async function (event) {
    try {
      const errorBox = document.getElementById("global-error-alert");
      if (errorBox) {
        errorBox.classList.add("d-none");
      }
      const authResult =
        typeof globalThis.getAuth === "function"
          ? await globalThis.getAuth()
          : { token: "", provider: "" };
      await globalThis.xlwings.runPython({
        auth: authResult.token,
        scriptName: scriptName,
        headers: { "Auth-Provider": authResult.provider },
        errorDisplayMode: "taskpane",
      });
      if (errorBox && !errorBox.classList.contains("d-none")) {
        await Office.addin.showAsTaskpane();
      }
    } finally {
      event.completed();
    }
  };
}

Office.onReady((info) => {
  if (!info || !info.host || !Office.actions) {
    return; // opened outside Excel (e.g. in a browser): no ribbon
  }
  const config = vpConfig();
  const downloads = config.downloads || {};
  for (const button of config.buttons) {
    const handler = button.tag in downloads ? vpDownloadHandler : vpRibbonHandler;
    Office.actions.associate(`vp-${button.tag}`, handler(button.tag));
  }
});
