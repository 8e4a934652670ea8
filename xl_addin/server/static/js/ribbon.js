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

function vpRibbonHandler(scriptName) {
  return async function (event) {
    try {
      const authResult =
        typeof globalThis.getAuth === "function"
          ? await globalThis.getAuth()
          : { token: "", provider: "" };
      await globalThis.xlwings.runPython({
        auth: authResult.token,
        scriptName: scriptName,
        headers: { "Auth-Provider": authResult.provider },
      });
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
