// The bank and branch pickers search as the member types: the same GET the search
// button sends, its result list swapped in. Without JavaScript the button does it.
(function () {
  "use strict";
  var form = document.querySelector("form.search");
  var results = document.getElementById("picker-results");
  if (!form || !results || !window.fetch || !window.DOMParser) { return; }
  var input = form.querySelector("input[type=search]");
  var timer = null;
  var latest = 0;
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      var asked = ++latest;
      var query = new URLSearchParams(new FormData(form)).toString();
      fetch(form.getAttribute("action") + "?" + query, { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (!html || asked !== latest) { return; }
          var fresh = new DOMParser().parseFromString(html, "text/html")
            .getElementById("picker-results");
          if (fresh) { results.innerHTML = fresh.innerHTML; }
        })
        .catch(function () { /* the search button still works */ });
    }, 250);
  });
})();
