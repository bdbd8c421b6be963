/*
 * Wallet Support: progressive enhancement only. Every feature works without this file.
 * Loaded with `defer` from base.html (no inline scripts: the site runs under a strict CSP).
 */
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  /* Language switcher: submit as soon as a language is picked. The submit button stays in
     the page (visually hidden until it receives keyboard focus) so it remains usable. */
  var forms = document.querySelectorAll("form.lang-switch");
  Array.prototype.forEach.call(forms, function (form) {
    var select = form.querySelector("select[name='language']");
    if (!select) {
      return;
    }
    var initial = select.value;
    select.addEventListener("change", function () {
      if (select.value === initial) {
        return;
      }
      form.classList.add("is-submitting");
      if (typeof form.requestSubmit === "function") {
        form.requestSubmit();
      } else {
        form.submit();
      }
    });
  });
})();
