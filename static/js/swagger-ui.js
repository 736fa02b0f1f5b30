// Starts Swagger UI at /api/docs/ with the settings the page carries (templates/index.template.html).
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  var config = JSON.parse(root.dataset.config);
  config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset];
  config.plugins = [SwaggerUIBundle.plugins.DownloadUrl];
  window.ui = SwaggerUIBundle(config);
})();
