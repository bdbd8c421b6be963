/* Help centre enhancements: search type-ahead and "Was this helpful?" without a reload.
   Both forms work without this file; it only makes them quicker. */
(function () {
  "use strict";

  function debounce(fn, wait) {
    var timer;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, wait);
    };
  }

  function setupSuggest(form) {
    var input = form.querySelector("input[name=q]");
    var list = form.querySelector(".suggest");
    var url = form.getAttribute("data-suggest-url");
    if (!input || !list || !url || !window.fetch) { return; }
    var active = -1;
    var lastQuery = "";

    function close() {
      list.hidden = true;
      list.textContent = "";
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function render(results) {
      list.textContent = "";
      results.forEach(function (result, index) {
        var option = document.createElement("li");
        option.className = "suggest__option";
        option.id = "faq-suggest-" + index;
        option.setAttribute("role", "option");
        var link = document.createElement("a");
        link.href = result.url;
        link.textContent = result.title;
        link.tabIndex = -1;
        option.appendChild(link);
        list.appendChild(option);
      });
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
    }

    // Posted, never put in the address: the text is sent while it is typed, and a recovery
    // phrase pasted here must not reach a log (faq.views.suggest).
    var csrf = form.querySelector("[name=csrfmiddlewaretoken]");
    var fetchSuggestions = debounce(function (query) {
      fetch(url, {
        method: "POST",
        body: new URLSearchParams({ q: query }),
        headers: { Accept: "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
        credentials: "same-origin"
      })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { if (query === lastQuery) { render(data.results || []); } })
        .catch(close);
    }, 150);

    input.addEventListener("input", function () {
      lastQuery = input.value.trim();
      if (lastQuery.length < 1) { close(); return; }
      fetchSuggestions(lastQuery);
    });

    input.addEventListener("keydown", function (event) {
      var options = list.querySelectorAll(".suggest__option");
      if (list.hidden || !options.length) { return; }
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (active >= 0) { options[active].setAttribute("aria-selected", "false"); }
        active = (active + (event.key === "ArrowDown" ? 1 : options.length - 1)) % options.length;
        options[active].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", options[active].id);
      } else if (event.key === "Enter" && active >= 0) {
        event.preventDefault();
        window.location.href = options[active].querySelector("a").href;
      } else if (event.key === "Escape") {
        close();
      }
    });

    document.addEventListener("click", function (event) {
      if (!form.contains(event.target)) { close(); }
    });
  }

  function setupHelpful(section) {
    var form = section.querySelector("[data-helpful-form]");
    var thanks = section.querySelector("[data-helpful-thanks]");
    if (!form || !thanks || !window.fetch) { return; }
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      // "No" posts as a plain form: the page that comes back asks what was missing.
      if (!button || button.value === "no") { return; }
      event.preventDefault();
      var body = new FormData(form);
      body.append(button.name, button.value);
      fetch(form.action, {
        method: "POST",
        body: body,
        headers: { Accept: "application/json" },
        credentials: "same-origin"
      })
        .then(function (response) {
          return response.json().then(function (data) { return { ok: response.ok, data: data }; });
        })
        .then(function (result) {
          var data = result.data;
          thanks.textContent = data.message || (data.error && data.error.message) || "";
          thanks.hidden = false;
          // Refused (too many votes, say): the message shows and the buttons stay for later.
          if (!result.ok) { return; }
          form.hidden = true;
          var question = section.querySelector(".helpful__question");
          if (question) { question.hidden = true; }
        })
        .catch(function () { form.submit(); });
    });
  }

  document.querySelectorAll("form[data-suggest-url]").forEach(setupSuggest);
  document.querySelectorAll("[data-helpful]").forEach(setupHelpful);
})();
