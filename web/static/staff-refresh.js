// The operator's queue page and the screener's 審査 page refresh themselves: every
// `data-every` seconds the element with `data-refresh` fetches its live part from there
// and swaps it in (the forms live on other pages, so nothing typed is swapped away). A redirect (the session ended) or
// repeated failures reload the whole page, which then shows the login. Without
// JavaScript the page says to reload it.
(function () {
  "use strict";
  var box = document.querySelector("[data-refresh]");
  if (!box) { return; }
  var every = Math.max(2, Number(box.getAttribute("data-every")) || 10) * 1000;
  var failures = 0;
  function refresh() {
    fetch(box.getAttribute("data-refresh"), {
      credentials: "same-origin", headers: { "Accept": "text/html" }
    })
      .then(function (response) {
        if (response.redirected || !response.ok) { throw new Error(String(response.status)); }
        return response.text();
      })
      .then(function (html) {
        failures = 0;
        box.innerHTML = html;
        window.setTimeout(refresh, every);
      })
      .catch(function () {
        failures += 1;
        if (failures > 3) { window.location.reload(); return; }
        window.setTimeout(refresh, every);
      });
  }
  window.setTimeout(refresh, every);
})();
