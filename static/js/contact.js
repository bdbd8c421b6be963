/* Contact form: suggest help-centre articles while the customer writes, and warn first when the
   text describes a fake-support scam. The form works the same without this file. */
(function () {
  "use strict";
  var form = document.querySelector("[data-contact-form]");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-suggest-url");
  var subject = form.querySelector("[name=subject]");
  var description = form.querySelector("[name=description]");
  var box = form.querySelector("[data-suggestions]");
  var list = form.querySelector("[data-suggestions-list]");
  var warning = form.querySelector("[data-suggestions-warning]");
  var csrf = form.querySelector("[name=csrfmiddlewaretoken]");
  var timer = null;
  var lastQuery = "";

  function render(data) {
    list.textContent = "";
    (data.results || []).forEach(function (result) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = result.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.textContent = result.title;
      item.appendChild(link);
      list.appendChild(item);
    });
    warning.hidden = !data.warning;
    warning.textContent = data.warning || "";
    box.hidden = !(data.results && data.results.length) && !data.warning;
  }

  function refresh() {
    var query = ((subject && subject.value) || "") + " " + ((description && description.value) || "");
    query = query.trim().slice(0, 500);
    if (query === lastQuery) { return; }
    lastQuery = query;
    if (query.length < 2) { box.hidden = true; return; }
    // Posted with the form's CSRF token, never put in the address: this is what the customer
    // is typing, and a recovery phrase pasted here must not reach a log (faq.views.suggest).
    fetch(url, {
      method: "POST",
      body: new URLSearchParams({ q: query, context: "ticket" }),
      headers: { Accept: "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
      credentials: "same-origin"
    })
      .then(function (response) { return response.ok ? response.json() : { results: [] }; })
      .then(function (data) { if (query === lastQuery) { render(data); } })
      .catch(function () { box.hidden = true; });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }
  [subject, description].forEach(function (field) {
    if (field) { field.addEventListener("input", schedule); }
  });
})();
