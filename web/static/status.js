// Follows a transfer (or an application) on its status page: asks the server for the
// status panel, which answers as soon as it changes (or after 10 s), and swaps it in,
// until the panel says there is nothing more to follow. Without JavaScript the panel's
// link shows the latest state instead.
(function () {
  "use strict";
  var panel = document.getElementById("status-panel");
  if (!panel || !panel.hasAttribute("data-follow")) { return; }
  var failures = 0;
  function follow() {
    var url = panel.getAttribute("data-follow") + "?wait=10";
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (response.redirected || !response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        failures = 0;
        var holder = document.createElement("div");
        holder.innerHTML = html.trim();
        var fresh = holder.firstElementChild;
        if (!fresh) { throw new Error("empty"); }
        panel.replaceWith(fresh);
        panel = fresh;
        if (panel.hasAttribute("data-follow")) { follow(); }
      })
      .catch(function () {
        failures += 1;
        if (failures > 5) { window.location.reload(); return; }
        window.setTimeout(follow, 1000 * failures);
      });
  }
  follow();
})();
