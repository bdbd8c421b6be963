{# Starts Swagger UI on the API's schema. Served as a file of its own (?script), so the docs page runs under the site's content-security policy. Unlike drf-spectacular's own, it sends no CSRF token or cookies: the API takes bearer tokens. #}"use strict";
window.ui = SwaggerUIBundle({
  url: "{{ schema_url|escapejs }}",
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  ...{{ settings|safe }},
});
