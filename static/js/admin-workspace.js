// The agent workspace in the admin (every admin page, templates/admin/base_site.html):
// keyboard shortcuts for the common work, listed on a help overlay ("?"), and the queue keeping
// itself current. Everything works without it: these are shortcuts to links, fields and buttons
// the pages already have.
(function () {
  "use strict";

  const QUEUE_KEY = "workspace-queue";
  const REFRESH_MS = 30000;
  const help = document.getElementById("workspace-help");
  const resultList = document.getElementById("result_list");
  const replyForm = document.getElementById("reply-form");

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]");
  }

  // --- the queue: remember its order, move between rows, stay current ------------------------

  function rowLinks() {
    return resultList ? Array.from(resultList.querySelectorAll("tbody tr th a")) : [];
  }

  function rememberQueue() {
    const links = rowLinks().map((link) => link.getAttribute("href"));
    if (links.length) {
      sessionStorage.setItem(QUEUE_KEY, JSON.stringify({ list: location.href, links: links }));
    }
  }

  function moveInQueue(step) {
    const links = rowLinks();
    if (!links.length) return;
    const current = links.indexOf(document.activeElement);
    const next = current === -1 ? (step > 0 ? 0 : links.length - 1) : current + step;
    if (next >= 0 && next < links.length) links[next].focus();
  }

  function refreshQueue() {
    // Not while the agent is choosing rows or an action: their choice would be lost.
    if (document.hidden || !resultList) return;
    if (resultList.querySelector("tbody input:checked")) return;
    if (document.activeElement && typing(document.activeElement)) return;
    fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then((response) => (response.ok ? response.text() : null))
      .then((html) => {
        if (!html) return;
        // The queue's own page, as a reload would show it (rendered and escaped by Django, same
        // origin); a parsed document runs no script, and its rows are imported, not re-parsed.
        const fresh = new DOMParser().parseFromString(html, "text/html");
        const body = fresh.querySelector("#result_list tbody");
        const filters = fresh.getElementById("changelist-filter");
        const current = resultList.querySelector("tbody");
        if (!body || !current || body.isEqualNode(current)) return;
        const focused = document.activeElement && document.activeElement.getAttribute("href");
        const scrolled = window.scrollY;
        current.replaceWith(document.importNode(body, true));
        const oldFilters = document.getElementById("changelist-filter");
        if (filters && oldFilters) oldFilters.replaceWith(document.importNode(filters, true));
        if (focused) {
          const again = resultList.querySelector(`tbody a[href="${CSS.escape(focused)}"]`);
          if (again) again.focus({ preventScroll: true });
        }
        window.scrollTo(0, scrolled);
        rememberQueue();
        const status = document.getElementById("queue-updated");
        if (status) status.textContent = status.dataset.text;
      })
      .catch(() => {});
  }

  if (resultList) {
    rememberQueue();
    setInterval(refreshQueue, REFRESH_MS);
  }

  // --- the ticket page: next/previous from the queue, reply, note, assign, resolve -----------

  function neighbour(step) {
    let saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem(QUEUE_KEY) || "null");
    } catch (error) {
      saved = null;
    }
    if (!saved) return null;
    const paths = saved.links.map((link) => new URL(link, location.href).pathname);
    const index = paths.indexOf(location.pathname);
    return index === -1 ? null : saved.links[index + step] || null;
  }

  function writeReply(asNote) {
    const body = document.getElementById("id_body");
    const note = document.getElementById("id_is_internal");
    if (!body) return;
    if (note) note.checked = asNote;
    body.focus();
  }

  function submitWork(field, value) {
    const select = document.getElementById(field);
    const save = document.querySelector("input[name=_continue]");
    if (!select || !save || !Array.from(select.options).some((o) => o.value === value)) return;
    select.value = value;
    save.click();
  }

  function assignToMe() {
    const nav = document.querySelector(".desk-nav");
    const me = nav && nav.dataset.userId;
    if (document.getElementById("id_assignee") && me) {
      submitWork("id_assignee", me);
      return;
    }
    // Without the right to reassign, the queue's own "assign to me" action does it.
    const match = location.pathname.match(/\/(\d+)\/change\/$/);
    const token = replyForm.querySelector("[name=csrfmiddlewaretoken]");
    const queue = document.querySelector(".desk-nav a");
    if (!match || !token || !queue) return;
    const form = document.createElement("form");
    form.method = "post";
    form.action = queue.getAttribute("href");
    const fields = { csrfmiddlewaretoken: token.value, action: "assign_to_me", _selected_action: match[1] };
    Object.keys(fields).forEach(function (name) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = fields[name];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  // --- the keys ---------------------------------------------------------------------------

  function toggleHelp() {
    if (!help) return;
    if (help.open) help.close();
    else help.showModal();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (help && help.open && event.key !== "?") return;
    const key = event.key;
    if (key === "?") {
      toggleHelp();
    } else if (resultList && (key === "j" || key === "k")) {
      moveInQueue(key === "j" ? 1 : -1);
    } else if (replyForm && (key === "j" || key === "k")) {
      const target = neighbour(key === "j" ? 1 : -1);
      if (target) location.assign(target);
      else return;
    } else if (replyForm && key === "r") {
      writeReply(false);
    } else if (replyForm && key === "n") {
      writeReply(true);
    } else if (replyForm && key === "a") {
      assignToMe();
    } else if (replyForm && key === "e") {
      submitWork("id_status", "resolved");
    } else if (key === "g") {
      const queue = document.querySelector(".desk-nav a");
      if (queue) location.assign(queue.getAttribute("href"));
    } else {
      return;
    }
    event.preventDefault();
  });

  if (help) {
    help.querySelector("[data-close]").addEventListener("click", () => help.close());
  }
  const opener = document.getElementById("workspace-help-open");
  if (opener) opener.addEventListener("click", toggleHelp);
})();
