// The ticket page in the admin: canned replies go into the reply box, and "also viewing" stays
// current while the page is open. Without JavaScript both still work (the Insert button, and the
// list of viewers as of page load).
(function () {
  "use strict";

  const select = document.getElementById("id_canned");
  const body = document.getElementById("id_body");
  const texts = document.getElementById("canned-texts");
  if (select && body && texts) {
    const choices = Array.from(texts.content.querySelectorAll("p")).map((p) => p.textContent);
    select.addEventListener("change", function () {
      const text = choices[Number(select.value)];
      if (select.value === "" || text === undefined) return;
      body.value = body.value.trim() ? body.value.replace(/\s+$/, "") + "\n\n" + text : text;
      select.value = "";
      body.focus();
    });
  }

  // The reply box and the ticket's fields are two forms: saving the fields would drop a draft.
  const replyForm = document.getElementById("reply-form");
  if (body && replyForm) {
    document.querySelectorAll("form").forEach(function (form) {
      if (form === replyForm) return;
      form.addEventListener("submit", function (event) {
        if (body.value.trim() && !window.confirm(replyForm.dataset.draftWarning)) {
          event.preventDefault();
        }
      });
    });
  }

  const box = document.getElementById("also-viewing");
  if (box && box.dataset.url) {
    const names = box.querySelector(".viewer-names");
    const refresh = function () {
      fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : null))
        .then((data) => {
          if (!data) return;
          names.textContent = data.viewers.join(", ");
          box.hidden = data.viewers.length === 0;
        })
        .catch(() => {});
    };
    setInterval(refresh, 20000);
  }
})();
