/*
 * The in-page messenger (templates/includes/chat_launcher.html): the launcher on every page opens
 * a panel with the chat's start form, then the conversation over the chat socket
 * (window.WalletChat from chat.js). Without JavaScript the launcher stays a link to /chat/.
 *
 * Kept across page loads: the conversation id (localStorage, so it follows the visitor's session
 * in every tab), whether the panel is open (sessionStorage, this tab) and the last message seen
 * (for the unread badge). Each page load reconnects and resumes after 0: the server sends the
 * history, then what follows.
 */
(function () {
  "use strict";

  var WalletChat = window.WalletChat;
  var launcher = document.querySelector("[data-messenger-launcher]");
  var template = document.querySelector("template[data-messenger-template]");
  if (!launcher || !template || !WalletChat || !("WebSocket" in window) || !window.fetch ||
      !window.Set || !window.Map || !("content" in template)) {
    return;
  }

  var KEY = "walletchat.messenger";
  var FIELD_PREFIX = "messenger-";   // livechat.context_processors.MESSENGER_PREFIX
  var format = WalletChat.format;

  function load(storage, key) {
    try { return JSON.parse(storage.getItem(key) || "null"); } catch (error) { return null; }
  }

  function save(storage, key, value) {
    try {
      if (value === null) { storage.removeItem(key); } else { storage.setItem(key, JSON.stringify(value)); }
    } catch (error) { /* private mode: the messenger still works on this page */ }
  }

  var stored = load(window.localStorage, KEY) || {};
  var available = launcher.hasAttribute("data-available");
  // Nothing to resume and nobody to answer: the launcher stays the link to the contact form.
  if (!available && !stored.conversation) { return; }

  // The panel joins the page only when it is first needed (opened, or a chat to resume), so a
  // page's own forms never share their field names with it.
  var panel = null;
  var strings, startView, startForm, startError, offlineDone, chatView, statusLine, ended;
  var fileInput, csrf, chatStrings;
  var badge = launcher.querySelector("[data-messenger-badge]");
  var session = null;
  var conversation = null;
  var unread = 0;
  var seen = 0;
  var agentName = "";

  launcher.setAttribute("role", "button");
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-haspopup", "dialog");

  function build() {
    if (panel) { return; }
    panel = template.content.firstElementChild.cloneNode(true);
    panel.hidden = true;
    document.body.appendChild(panel);
    launcher.setAttribute("aria-controls", panel.id);
    strings = WalletChat.readStrings(panel);
    startView = panel.querySelector("[data-messenger-start-view]");
    startForm = panel.querySelector("[data-messenger-start]");
    startError = panel.querySelector("[data-messenger-start-error]");
    offlineDone = panel.querySelector("[data-messenger-offline-done]");
    chatView = panel.querySelector("[data-messenger-chat]");
    statusLine = panel.querySelector("[data-messenger-status]");
    ended = panel.querySelector("[data-messenger-ended]");
    fileInput = panel.querySelector("[data-messenger-file]");
    csrf = startForm.querySelector("[name=csrfmiddlewaretoken]").value;
    chatStrings = WalletChat.readStrings(chatView);
    panel.querySelector("[data-messenger-close]").addEventListener("click", function () { close(true); });
    panel.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !event.isComposing) {
        event.preventDefault();
        close(true);
      }
    });
    startForm.addEventListener("submit", onStartSubmit);
    panel.querySelector("[data-messenger-new]").addEventListener("click", function () { reset(); });
    fileInput.addEventListener("change", onFileChosen);
  }

  /* Opening and closing --------------------------------------------------------------------- */

  function isOpen() { return !!panel && !panel.hidden; }

  function open(moveFocus) {
    build();
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    document.documentElement.classList.add("has-messenger-open");
    save(window.sessionStorage, KEY + ".open", true);
    markSeen();
    if (session) {
      session.scrollToEnd();
      session.scheduleRead();
    }
    if (moveFocus) { focusFirst(); }
  }

  function close(moveFocus) {
    if (!panel) { return; }
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    document.documentElement.classList.remove("has-messenger-open");
    save(window.sessionStorage, KEY + ".open", null);
    if (moveFocus) { launcher.focus(); }
  }

  function focusFirst() {
    var target = chatView.hidden
      ? startForm.querySelector("[aria-invalid=true]") || startForm.querySelector("input:not([type=hidden]), select, textarea")
      : chatView.querySelector("textarea:not([disabled])") || panel.querySelector("#messenger-title");
    if (target) { target.focus(); }
  }

  launcher.addEventListener("click", function (event) {
    event.preventDefault();
    if (isOpen()) { close(true); } else { open(true); }
  });
  launcher.addEventListener("keydown", function (event) {
    if (event.key === " ") {   // a button opens on Space too
      event.preventDefault();
      launcher.click();
    }
  });

  /* Unread badge -------------------------------------------------------------------------- */

  function markSeen() {
    if (session) { seen = Math.max(seen, session.lastId); }
    if (conversation) { save(window.localStorage, KEY + ".seen." + conversation, seen); }
    unread = 0;
    renderBadge();
  }

  function renderBadge() {
    badge.hidden = !unread;
    badge.querySelector("[data-messenger-badge-count]").textContent = unread ? String(unread) : "";
    badge.querySelector("[data-messenger-badge-text]").textContent = unread
      ? format(unread === 1 ? strings["unread-one"] : strings["unread-other"], { count: unread })
      : "";
  }

  /* The start form ------------------------------------------------------------------------ */

  function clearFieldErrors() {
    Array.prototype.forEach.call(startForm.querySelectorAll(".field--error"), function (field) {
      field.classList.remove("field--error");
    });
    Array.prototype.forEach.call(startForm.querySelectorAll("[data-messenger-field-error]"), function (error) {
      error.parentNode.removeChild(error);
    });
    Array.prototype.forEach.call(startForm.querySelectorAll("[aria-invalid]"), function (control) {
      control.removeAttribute("aria-invalid");
      var describedBy = (control.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && id !== control.id + "_error";
      });
      if (describedBy.length) { control.setAttribute("aria-describedby", describedBy.join(" ")); } else { control.removeAttribute("aria-describedby"); }
    });
  }

  function showFieldErrors(fields) {
    Object.keys(fields || {}).forEach(function (name) {
      var control = startForm.elements[FIELD_PREFIX + name];
      if (!control || !control.closest) { return; }
      var box = control.closest(".field");
      var error = document.createElement("div");
      error.className = "field__error";
      error.id = control.id + "_error";
      error.setAttribute("data-messenger-field-error", "");
      (fields[name] || []).forEach(function (text) {
        var line = document.createElement("p");
        line.textContent = text;
        error.appendChild(line);
      });
      box.classList.add("field--error");
      box.appendChild(error);
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", ((control.getAttribute("aria-describedby") || "") + " " + error.id).trim());
    });
  }

  function showStartError(text) {
    startError.textContent = text || "";
    startError.hidden = !text;
  }

  function onStartSubmit(event) {
    event.preventDefault();
    clearFieldErrors();
    showStartError("");
    offlineDone.hidden = true;
    var payload = {};
    ["name", "email", "problem_type", "message"].forEach(function (name) {
      payload[name] = startForm.elements[FIELD_PREFIX + name].value;
    });
    var button = startForm.querySelector("[type=submit]");
    button.disabled = true;
    fetch(panel.getAttribute("data-start-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(payload)
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (result) {
      button.disabled = false;
      var body = result.body || {};
      if (result.status === 201 && body.conversation) {
        startForm.reset();
        begin(body.conversation, true);
      } else if (result.status === 202) {
        // Nobody can answer now: the message became a ticket, answered by email.
        startForm.reset();
        offlineDone.textContent = body.message || "";
        offlineDone.hidden = false;
        offlineDone.setAttribute("tabindex", "-1");
        offlineDone.focus();
      } else if (body.error) {
        if (body.error.fields) { showFieldErrors(body.error.fields); }
        if (!body.error.fields || body.error.code === "rate_limited") { showStartError(body.error.message); }
        if (body.error.code === "secret_refused") {
          Object.keys(body.error.fields || {}).forEach(function (name) {
            var control = startForm.elements[FIELD_PREFIX + name];
            if (control) { control.value = ""; }
          });
        }
        focusFirst();
      } else {
        showStartError(strings["start-failed"]);
      }
    }).catch(function () {
      button.disabled = false;
      showStartError(strings["start-failed"]);
    });
  }

  /* The conversation ------------------------------------------------------------------------ */

  function setStatus(text) {
    if (statusLine.textContent !== text) { statusLine.textContent = text; }
  }

  function onStatus(status) {
    if (status.status === "queued") {
      var minutes = Math.max(1, Math.round((Number(status.wait_seconds) || 0) / 60));
      var queued = minutes === 1 ? chatStrings["queued-one"] : chatStrings["queued-other"];
      setStatus(format(queued, { position: status.position, minutes: minutes }));
    } else if (status.status === "active" && status.agent) {
      agentName = status.agent.name || "";
      setStatus(format(chatStrings.active, { name: agentName, code: status.agent.code || "" }));
    } else if (status.status === "unanswered") {
      setStatus(chatStrings.unanswered);
    } else if (status.status === "closed") {
      setStatus(chatStrings.closed);
      ended.hidden = false;
    }
  }

  function onMessage(message) {
    if (message.sender === "customer") {
      seen = Math.max(seen, message.id);
      return;
    }
    if (isOpen() && document.visibilityState !== "hidden") {
      markSeen();
    } else if (message.id > seen) {
      unread += 1;
      renderBadge();
    }
  }

  function begin(id, moveFocus) {
    build();
    conversation = id;
    save(window.localStorage, KEY, { conversation: id });
    seen = Number(load(window.localStorage, KEY + ".seen." + id)) || 0;
    startView.hidden = true;
    chatView.hidden = false;
    ended.hidden = true;
    chatView.setAttribute("data-conversation", id);
    var full = panel.querySelector("[data-messenger-full]");
    full.href = panel.getAttribute("data-chat-url") + id + "/";
    session = new WalletChat.ChatSession(chatView, {
      role: "customer",
      conversation: id,
      wsPath: "/ws/chat/" + id + "/",
      strings: chatStrings,
      otherName: function () { return agentName; },
      isVisible: isOpen,
      onStatus: onStatus,
      onMessage: onMessage,
      onForbidden: function () { reset(); }
    });
    session.start();
    if (moveFocus) { focusFirst(); }
  }

  /* Back to the start form: the chat ended and the visitor wants another, or it is not theirs. */
  function reset() {
    if (session) { session.stop(); }
    session = null;
    conversation = null;
    agentName = "";
    unread = 0;
    renderBadge();
    save(window.localStorage, KEY, null);
    chatView.querySelector("[data-chat-log]").textContent = "";
    chatView.hidden = true;
    startView.hidden = false;
    setStatus("");
    if (isOpen()) { focusFirst(); }
  }

  /* Screenshots ---------------------------------------------------------------------------- */

  function onFileChosen() {
    var file = fileInput.files && fileInput.files[0];
    if (!file || !session) { return; }
    var data = new FormData();
    data.append("screenshot", file);
    data.append("client_id", WalletChat.uuid());
    session.clearError();
    session.showNotice(strings.attaching);
    fetch("/chat/" + conversation + "/attach/", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf },
      body: data
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (result) {
      session.showNotice("");
      fileInput.value = "";
      if (result.status === 201) {
        session.handle(result.body);   // the socket brings it too; shown once, by id
      } else {
        session.showError((result.body.error && result.body.error.message) || strings["attach-failed"]);
      }
    }).catch(function () {
      session.showNotice("");
      fileInput.value = "";
      session.showError(strings["attach-failed"]);
    });
  }

  /* Start ---------------------------------------------------------------------------------- */

  if (stored.conversation) { begin(stored.conversation, false); }
  if (load(window.sessionStorage, KEY + ".open")) { open(false); }

  window.addEventListener("online", function () { if (session) { session.socket.wake(); } });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && session) {
      session.socket.wake();
      if (isOpen()) { markSeen(); }
    }
  });
})();
