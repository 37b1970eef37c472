// Starts Swagger UI on /docs. A file of the site's own, not an inline script: the page has
// the member site's Content-Security-Policy (script-src 'self'), which allows no other.
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
})();
