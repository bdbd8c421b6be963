/* Contact form: once a hash and its network are filled in, say what the chain knows about the
   transfer before the form is sent. The hash is posted as JSON, never put in an address, which
   access logs keep (chain.views.status). Without this file the ticket page says the same. */
(function () {
  "use strict";
  var box = document.querySelector("[data-chain-check]");
  var form = box && box.closest("form");
  if (!form || !window.fetch || !window.JSON) { return; }
  var url = box.getAttribute("data-chain-url");
  var networks = (box.getAttribute("data-chain-networks") || "").split(" ");
  var hashField = form.querySelector("[name=transaction_hash]");
  var networkField = form.querySelector("[name=network]");
  var csrf = form.querySelector("[name=csrfmiddlewaretoken]");
  var message = box.querySelector("[data-chain-message]");
  var articleRow = box.querySelector("[data-chain-article]");
  var articleLink = articleRow.querySelector("a");
  if (!hashField || !networkField) { return; }
  var timer = null;
  var asked = "";
  var polls = 0;
  var MAX_POLLS = 15;

  function show(data) {
    message.textContent = data.message || "";
    var article = data.article;
    articleRow.hidden = !article;
    if (article) {
      articleLink.href = article.url;
      articleLink.textContent = article.title;
    }
    box.hidden = !data.message;
  }

  function ask(question) {
    fetch(url, {
      method: "POST",
      body: JSON.stringify({ network: question.network, hash: question.hash }),
      headers: {
        Accept: "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": csrf ? csrf.value : ""
      },
      credentials: "same-origin"
    })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return { ok: response.ok, status: response.status, data: data };
        });
      })
      .then(function (answer) {
        if (question.key !== asked) { return; }
        if (!answer.ok) {
          // An invalid hash is the field's own error on sending; a limit just stops the checks.
          box.hidden = true;
          return;
        }
        show(answer.data);
        var wait = answer.data.retry_after;
        if (wait && polls < MAX_POLLS) {
          polls += 1;
          timer = setTimeout(function () { ask(question); }, wait * 1000);
        }
      })
      .catch(function () { box.hidden = true; });
  }

  function changed() {
    clearTimeout(timer);
    var network = networkField.value;
    var hash = hashField.value.trim();
    var key = network + " " + hash;
    if (key === asked) { return; }
    asked = key;
    polls = 0;
    if (networks.indexOf(network) < 0 || hash.length < 60) { box.hidden = true; return; }
    timer = setTimeout(function () { ask({ network: network, hash: hash, key: key }); }, 400);
  }

  hashField.addEventListener("input", changed);
  hashField.addEventListener("change", changed);
  networkField.addEventListener("change", changed);
  changed();
})();
