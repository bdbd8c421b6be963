/*
 * Live chat over WebSockets (docs/chat-protocol.md), as progressive enhancement: the conversation
 * page works without this file (the history is rendered by the server, the composer posts a form).
 *
 * The pieces are shared with agent-console.js through window.WalletChat:
 *   ReconnectingSocket  one socket, reopened with exponential backoff (1 s, 2 s, 4 s … 30 s)
 *   ChatSession         one conversation: log, composer, typing, read marks, acks and resume
 *   readStrings, format, uuid
 * Every text shown comes from the page (data-t-* attributes rendered with {% translate %});
 * message text is only ever inserted with textContent / text nodes.
 */
(function () {
  "use strict";

  var BACKOFF_FIRST_MS = 1000;
  var BACKOFF_MAX_MS = 30000;
  var TYPING_SEND_EVERY_MS = 3000;
  var TYPING_SHOWN_MS = 4000;
  var ACK_TIMEOUT_MS = 10000;
  var RESUME_THROTTLE_MS = 1000;
  var MAX_BODY = 4000;
  var FORBIDDEN = 4403;
  var SENDERS = { customer: true, agent: true, system: true };
  var RETRY_AFTER_DEFAULT_S = 2;
  var STORAGE_PREFIX = "walletchat.";
  /*
   * What the client does with each code of an `error` event (livechat/error_codes.py, and the
   * server's `overloaded`); tests/livechat/test_client_codes.py fails when one is missing here.
   *   refuse  the message in flight is refused for good: it leaves the outbox, its text goes back
   *           into the composer with the reason, and the messages queued behind it still go
   *   retry   the message was not stored: the same message (same client_id) goes again after
   *           retry_after seconds, nothing to do for the person
   *   quiet   about a frame that is no message (a heartbeat an older server does not know, a
   *           frame of ours it could not read): logged for developers, never shown
   * A code not listed (a newer server) is treated as `refuse`, so no message is ever stuck.
   */
  var ERROR_HANDLING = {
    frame_too_large: "refuse",
    invalid_json: "quiet",
    unknown_type: "quiet",
    invalid: "refuse",
    too_long: "refuse",
    rate_limited: "retry",
    overloaded: "retry",
    secret_refused: "refuse",
    closed: "refuse",
    not_found: "refuse",
    not_allowed: "refuse",
    agent_guard: "refuse",
    invalid_text: "refuse",
    not_an_agent: "refuse",
    server_error: "retry"
  };
  // The server's own words say more than the page's for these (which link, what was asked).
  var SERVER_WORDS = { agent_guard: true, invalid: true };

  function errorHandling(code) {
    return ERROR_HANDLING[code] || "refuse";
  }

  /* The text shown for an error event: the page's translation, else the server's message. */
  function errorText(strings, error) {
    var code = error.code || "";
    if (SERVER_WORDS[code] && error.message) { return error.message; }
    return strings["error-" + code] || error.message || strings["error-unknown"] || code;
  }

  /* sessionStorage, when the browser lets us (private modes may refuse it). */
  var store = {
    get: function (key) {
      try { return JSON.parse(window.sessionStorage.getItem(STORAGE_PREFIX + key) || "null"); } catch (error) { return null; }
    },
    set: function (key, value) {
      try {
        if (value === null || value === undefined || (Array.isArray(value) && !value.length)) {
          window.sessionStorage.removeItem(STORAGE_PREFIX + key);
        } else {
          window.sessionStorage.setItem(STORAGE_PREFIX + key, JSON.stringify(value));
        }
      } catch (error) { /* full or refused: the outbox lives in memory only */ }
    }
  };

  /* Helpers ------------------------------------------------------------------------------ */

  function format(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  function uuid() {
    var cryptoObject = window.crypto || window.msCrypto;
    if (cryptoObject && typeof cryptoObject.randomUUID === "function") {
      return cryptoObject.randomUUID();
    }
    var bytes = new Uint8Array(16);
    if (cryptoObject && typeof cryptoObject.getRandomValues === "function") {
      cryptoObject.getRandomValues(bytes);
    } else {
      for (var i = 0; i < 16; i += 1) { bytes[i] = Math.floor(Math.random() * 256); }
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  /* data-t-name="…" attributes → { name: "…" } */
  function readStrings(element) {
    var strings = {};
    Array.prototype.forEach.call(element.attributes, function (attribute) {
      if (attribute.name.indexOf("data-t-") === 0) {
        strings[attribute.name.slice(7)] = attribute.value;
      }
    });
    return strings;
  }

  var timeFormats = {};
  function formatTime(iso) {
    var date = new Date(iso);
    if (isNaN(date.getTime())) { return ""; }
    var sameDay = date.toDateString() === new Date().toDateString();
    var key = sameDay ? "time" : "datetime";
    if (!timeFormats[key]) {
      var options = sameDay ? { hour: "2-digit", minute: "2-digit" }
        : { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" };
      try {
        timeFormats[key] = new Intl.DateTimeFormat(document.documentElement.lang || undefined, options);
      } catch (error) {
        timeFormats[key] = new Intl.DateTimeFormat(undefined, options);
      }
    }
    return timeFormats[key].format(date);
  }

  function formatSize(bytes) {
    if (bytes < 1024) { return bytes + " B"; }
    if (bytes < 1024 * 1024) { return Math.round(bytes / 1024) + " KB"; }
    return (bytes / (1024 * 1024)).toFixed(1) + " MB";
  }

  function appendLines(parent, text) {
    String(text).split(/\r\n|\r|\n/).forEach(function (line, index) {
      if (index > 0) { parent.appendChild(document.createElement("br")); }
      parent.appendChild(document.createTextNode(line));
    });
  }

  /* ReconnectingSocket --------------------------------------------------------------------- */

  function ReconnectingSocket(path, handlers) {
    this.path = path;
    this.handlers = handlers || {};
    this.attempt = 0;
    this.ws = null;
    this.timer = null;
    this.stopped = false;
  }

  ReconnectingSocket.prototype.call = function (name, argument) {
    if (typeof this.handlers[name] === "function") { this.handlers[name](argument); }
  };

  ReconnectingSocket.prototype.open = function () {
    if (this.stopped || this.ws) { return; }
    clearTimeout(this.timer);
    this.timer = null;
    var self = this;
    var ws;
    try {
      ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + this.path);
    } catch (error) {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = function () {
      self.attempt = 0;
      self.call("open");
    };
    ws.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (error) { return; }
      if (data && typeof data === "object") { self.call("message", data); }
    };
    ws.onclose = function (event) {
      if (self.ws !== ws) { return; }
      self.ws = null;
      if (event.code === FORBIDDEN) {
        self.stopped = true;
        self.call("forbidden");
        return;
      }
      self.call("lost");
      self.retry();
    };
  };

  ReconnectingSocket.prototype.retry = function () {
    if (this.stopped || this.timer) { return; }
    var delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * Math.pow(2, this.attempt));
    this.attempt += 1;
    var self = this;
    this.timer = setTimeout(function () { self.timer = null; self.open(); }, delay);
  };

  /* Try at once (the network came back, the tab became visible), instead of waiting. */
  ReconnectingSocket.prototype.wake = function () {
    if (this.stopped || this.ws) { return; }
    clearTimeout(this.timer);
    this.timer = null;
    this.open();
  };

  ReconnectingSocket.prototype.isOpen = function () {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  };

  ReconnectingSocket.prototype.send = function (frame) {
    if (!this.isOpen()) { return false; }
    this.ws.send(JSON.stringify(frame));
    return true;
  };

  ReconnectingSocket.prototype.stop = function () {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) {
      var ws = this.ws;
      this.ws = null;
      ws.close();
    }
  };

  /* ChatSession ----------------------------------------------------------------------------
   * root holds [data-chat-log], [data-chat-form] (with a textarea), [data-chat-typing],
   * [data-chat-typing-text], [data-chat-connection] and [data-chat-error].
   * options: role ("customer" | "agent"), conversation, wsPath, strings, and optional hooks:
   *   onStatus(payload, session), onMessage(payload, session), otherName(), isVisible(),
   *   onForbidden(session) (the socket was refused: instead of showing strings.forbidden)
   */
  function ChatSession(root, options) {
    this.root = root;
    this.options = options;
    this.role = options.role;
    this.conversation = options.conversation;
    this.strings = options.strings || readStrings(root);
    this.log = root.querySelector("[data-chat-log]");
    this.form = root.querySelector("[data-chat-form]");
    this.input = this.form ? this.form.querySelector("textarea") : null;
    this.sendButton = this.form ? this.form.querySelector("[type=submit]") : null;
    this.typingBox = root.querySelector("[data-chat-typing]");
    this.typingText = root.querySelector("[data-chat-typing-text]");
    this.connectionBox = root.querySelector("[data-chat-connection]");
    this.errorBox = root.querySelector("[data-chat-error]");

    this.ids = new Set();           // ids of every message in the log
    this.lastId = 0;                // the highest of them: what resume asks after
    this.lastOtherId = 0;           // the last message from the other side (or the system)
    this.readSent = 0;              // the up_to of our last read frame
    this.otherReadUpTo = Number(root.getAttribute("data-other-read-up-to")) || 0;
    this.outbox = [];               // [{clientId, body, element, sentAt}], sent one at a time
    this.waiting = new Map();       // messages whose prev we do not have yet, by id
    this.lastResume = { after: -1, at: 0 };
    this.lastTypingSent = 0;
    this.typingTimer = null;
    this.ackTimer = null;
    this.readTimer = null;
    this.closed = false;
    this.retryTimer = null;
    this.storageKey = this.role + "." + (this.conversation || options.wsPath);

    var self = this;
    Array.prototype.forEach.call(this.log.querySelectorAll("li[data-id]"), function (item) {
      var id = Number(item.getAttribute("data-id"));
      self.ids.add(id);
      self.lastId = Math.max(self.lastId, id);
      if (item.getAttribute("data-sender") !== self.role) { self.lastOtherId = Math.max(self.lastOtherId, id); }
      var time = item.querySelector("time[datetime]");
      if (time) { time.textContent = formatTime(time.getAttribute("datetime")); }
    });
    this.updateReadMark();
    this.scrollToEnd(true);

    this.socket = new ReconnectingSocket(options.wsPath, {
      open: function () { self.onOpen(); },
      message: function (data) { self.handle(data); },
      lost: function () { self.showConnection(self.strings.reconnecting); },
      forbidden: function () {
        self.showConnection("");
        if (typeof self.options.onForbidden === "function") {
          self.options.onForbidden(self);
        } else {
          self.showError(self.strings.forbidden);
        }
      }
    });
    this.bindComposer();
    this.restoreOutbox();
  }

  /* What a reload must not lose: messages not acknowledged yet, and text a refusal returned. */
  ChatSession.prototype.restoreOutbox = function () {
    var self = this;
    var saved = store.get("outbox." + this.storageKey);
    if (Array.isArray(saved)) {
      saved.forEach(function (entry) {
        if (!entry || typeof entry.body !== "string" || !entry.clientId || self.pendingFor(entry.clientId)) { return; }
        var element = self.buildPending(entry.clientId, entry.body);
        self.log.appendChild(element);
        self.outbox.push({ clientId: entry.clientId, body: entry.body, element: element, sentAt: 0, retryAt: 0 });
      });
    }
    var draft = store.get("draft." + this.storageKey);
    if (this.input && typeof draft === "string" && !this.input.value) {
      this.input.value = draft;
      this.autoGrow();
    }
  };

  ChatSession.prototype.saveOutbox = function () {
    store.set("outbox." + this.storageKey, this.outbox.map(function (entry) {
      return { clientId: entry.clientId, body: entry.body };
    }));
  };

  ChatSession.prototype.saveDraft = function (text) {
    store.set("draft." + this.storageKey, text || null);
  };

  ChatSession.prototype.start = function () {
    this.socket.open();
  };

  ChatSession.prototype.stop = function () {
    this.socket.stop();
    clearTimeout(this.ackTimer);
    clearTimeout(this.readTimer);
    clearTimeout(this.typingTimer);
    clearTimeout(this.retryTimer);
  };

  ChatSession.prototype.send = function (frame) {
    return this.socket.send(frame);
  };

  ChatSession.prototype.onOpen = function () {
    this.showConnection("");
    this.lastResume = { after: this.lastId, at: Date.now() };
    this.send({ type: "resume", after: this.lastId });
    // Whatever was not acknowledged goes again, with the same client_id.
    if (this.outbox.length) { this.outbox[0].sentAt = 0; }
    this.flush();
    this.scheduleRead();
  };

  /* Incoming events -------------------------------------------------------------------- */

  ChatSession.prototype.handle = function (data) {
    if (data.conversation && this.conversation && data.conversation !== this.conversation) { return; }
    switch (data.type) {
      case "message": this.onMessage(data); break;
      case "typing": if (data.sender !== this.role) { this.showTyping(); } break;
      case "read":
        if (data.sender !== this.role && typeof data.up_to === "number") {
          this.otherReadUpTo = Math.max(this.otherReadUpTo, data.up_to);
          this.updateReadMark();
        }
        break;
      case "status": this.onStatus(data); break;
      case "error": this.onError(data); break;
      default: break;
    }
  };

  ChatSession.prototype.onMessage = function (message) {
    if (typeof message.id !== "number") { return; }
    if (this.ids.has(message.id)) {
      // Already shown (a resend answered with the stored copy): only settle the pending bubble.
      this.settle(message.client_id);
      return;
    }
    if (message.prev !== null && message.prev !== undefined && !this.ids.has(message.prev)) {
      // Something is missing before this one: keep it aside and fetch what we lack.
      this.waiting.set(message.id, message);
      this.requestResume();
      return;
    }
    this.render(message);
    this.drainWaiting();
  };

  ChatSession.prototype.drainWaiting = function () {
    var self = this;
    var progressed = true;
    while (progressed && this.waiting.size) {
      progressed = false;
      this.waiting.forEach(function (message, id) {
        if (self.ids.has(id)) {
          self.waiting.delete(id);
          self.settle(message.client_id);
        } else if (message.prev === null || self.ids.has(message.prev)) {
          self.waiting.delete(id);
          self.render(message);
          progressed = true;
        }
      });
    }
    if (this.waiting.size) { this.requestResume(); }
  };

  ChatSession.prototype.requestResume = function () {
    var now = Date.now();
    if (this.lastResume.after === this.lastId && now - this.lastResume.at < RESUME_THROTTLE_MS) { return; }
    if (this.send({ type: "resume", after: this.lastId })) {
      this.lastResume = { after: this.lastId, at: now };
    }
  };

  ChatSession.prototype.render = function (message) {
    var element = this.buildMessage(message);
    var pending = this.pendingFor(message.client_id);
    var stick = this.isNearEnd() || message.sender === this.role;
    if (pending) {
      // The acknowledgement: the stored copy takes the pending bubble's place, in id order.
      this.settle(message.client_id);
    }
    this.log.insertBefore(element, this.insertionPoint(message.id));
    this.ids.add(message.id);
    this.lastId = Math.max(this.lastId, message.id);
    if (message.sender !== this.role) {
      this.lastOtherId = Math.max(this.lastOtherId, message.id);
      if (message.sender !== "system") { this.hideTyping(); }
      this.scheduleRead();
    }
    this.updateReadMark();
    if (stick) { this.scrollToEnd(); }
    if (typeof this.options.onMessage === "function") { this.options.onMessage(message, this); }
  };

  /* Messages stay in id order; pending bubbles stay after every stored message. */
  ChatSession.prototype.insertionPoint = function (id) {
    var items = this.log.children;
    for (var i = 0; i < items.length; i += 1) {
      var item = items[i];
      if (item.classList.contains("is-pending")) { return item; }
      if (Number(item.getAttribute("data-id")) > id) { return item; }
    }
    return null;
  };

  ChatSession.prototype.buildMessage = function (message) {
    var sender = SENDERS[message.sender] ? message.sender : "system";
    var item = document.createElement("li");
    item.className = "chat__message chat__message--" + sender;
    item.setAttribute("data-id", String(message.id));
    item.setAttribute("data-sender", sender);
    if (message.client_id) { item.setAttribute("data-client-id", message.client_id); }
    if (message.body || !Array.isArray(message.attachments) || !message.attachments.length) {
      var bubble = document.createElement("div");
      bubble.className = "chat__bubble";
      appendLines(bubble, message.body || "");
      item.appendChild(bubble);
    }
    if (Array.isArray(message.attachments) && message.attachments.length) {
      item.appendChild(this.buildFiles(message.attachments));
    }
    var meta = document.createElement("p");
    meta.className = "chat__meta";
    var authorName = sender === this.role ? (this.role === "customer" ? this.strings.you : message.author) : message.author;
    if (sender === "agent" && message.agent_code && this.strings["agent-signed"]) {
      authorName = this.strings["agent-signed"].replace("{name}", message.author || "").replace("{code}", message.agent_code);
    }
    if (sender !== "system" && authorName) {
      var author = document.createElement("span");
      author.className = "chat__author";
      author.textContent = authorName;
      meta.appendChild(author);
      meta.appendChild(document.createTextNode(" · "));
    }
    var time = document.createElement("time");
    time.setAttribute("datetime", message.created_at || "");
    time.textContent = formatTime(message.created_at);
    meta.appendChild(time);
    item.appendChild(meta);
    return item;
  };

  /* Attachments: links to the permission-checked download (always a download, never inline). */
  ChatSession.prototype.buildFiles = function (attachments) {
    var list = document.createElement("ul");
    list.className = "chat__files";
    attachments.forEach(function (file) {
      if (!file || typeof file.url !== "string" || file.url.charAt(0) !== "/") { return; }
      var entry = document.createElement("li");
      var link = document.createElement("a");
      link.className = "chat__file";
      link.href = file.url;
      link.setAttribute("download", "");
      link.textContent = String(file.name || "");
      entry.appendChild(link);
      var size = document.createElement("span");
      size.className = "chat__file-size";
      size.textContent = " " + formatSize(Number(file.size) || 0);
      entry.appendChild(size);
      list.appendChild(entry);
    });
    return list;
  };

  ChatSession.prototype.onStatus = function (status) {
    this.root.setAttribute("data-status", status.status || "");
    if (status.status === "closed") { this.setClosed(true); }
    if (typeof this.options.onStatus === "function") { this.options.onStatus(status, this); }
  };

  ChatSession.prototype.onError = function (error) {
    var code = error.code || "";
    var handling = errorHandling(code);
    if (handling === "quiet") {
      if (window.console && console.debug) { console.debug("chat: ignored error", code, error.message); }
      return;
    }
    // An error that names its message is about that one only: a refused resend of a message
    // already stored must not be pinned on the message sent after it.
    var entry = error.client_id
      ? this.pendingFor(error.client_id)
      : (this.outbox[0] && this.outbox[0].sentAt ? this.outbox[0] : null);
    if (!entry && error.client_id) { return; }
    if (!entry) {
      this.showError(errorText(this.strings, error));
      return;
    }
    clearTimeout(this.ackTimer);
    if (handling === "retry") {
      this.retryLater(entry, error);
      return;
    }
    this.refuse(code === "closed" ? this.outbox.slice() : [entry], error);
  };

  /* Not stored, try again: the same client_id, so the server never keeps it twice. */
  ChatSession.prototype.retryLater = function (entry, error) {
    var seconds = Number(error.retry_after);
    if (!(seconds > 0)) { seconds = RETRY_AFTER_DEFAULT_S; }
    entry.sentAt = 0;
    entry.retryAt = Date.now() + seconds * 1000;
    var label = entry.element.querySelector(".chat__pending-label");
    if (label) { label.textContent = this.strings.retrying || this.strings.sending; }
    this.showNotice(this.strings["error-" + error.code] || error.message || "");
    var self = this;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(function () { self.retryTimer = null; self.flush(); }, seconds * 1000);
  };

  /* Refused for good: out of the outbox, its text back into the composer with the reason, and
     the messages queued behind it go on. A secret is never put back on screen. */
  ChatSession.prototype.refuse = function (entries, error) {
    var self = this;
    entries.forEach(function (entry) {
      var at = self.outbox.indexOf(entry);
      if (at !== -1) { self.outbox.splice(at, 1); }
      if (entry.element.parentNode) { entry.element.parentNode.removeChild(entry.element); }
    });
    this.saveOutbox();
    if (this.input && error.code !== "secret_refused") {
      var kept = entries.map(function (entry) { return entry.body; });
      if (this.input.value) { kept.push(this.input.value); }
      this.input.value = kept.join("\n");
      this.saveDraft(this.input.value);
      this.autoGrow();
      if (!this.closed) { this.input.focus(); }
    }
    this.showNotice("");
    this.showError(errorText(this.strings, error));
    this.flush();
  };

  /* Outgoing messages: shown at once, sent one at a time, acknowledged by the stored copy. */

  ChatSession.prototype.sendMessage = function (text) {
    var body = String(text || "");
    if (!body.trim() || this.closed) { return false; }
    if (body.length > MAX_BODY) {
      this.showError(this.strings["error-too_long"]);
      return false;
    }
    this.clearError();
    var clientId = uuid();
    var element = this.buildPending(clientId, body);
    this.log.appendChild(element);
    this.outbox.push({ clientId: clientId, body: body, element: element, sentAt: 0, retryAt: 0 });
    this.saveOutbox();
    this.saveDraft(null);
    this.scrollToEnd();
    this.flush();
    return true;
  };

  ChatSession.prototype.buildPending = function (clientId, body) {
    var item = document.createElement("li");
    item.className = "chat__message chat__message--" + this.role + " is-pending";
    item.setAttribute("data-client-id", clientId);
    item.setAttribute("data-sender", this.role);
    var bubble = document.createElement("div");
    bubble.className = "chat__bubble";
    appendLines(bubble, body);
    item.appendChild(bubble);
    var meta = document.createElement("p");
    meta.className = "chat__meta chat__pending-label";
    meta.textContent = this.socket.isOpen() ? this.strings.sending : (this.strings["not-sent"] || this.strings.sending);
    item.appendChild(meta);
    return item;
  };

  ChatSession.prototype.pendingFor = function (clientId) {
    if (!clientId) { return null; }
    for (var i = 0; i < this.outbox.length; i += 1) {
      if (this.outbox[i].clientId === clientId) { return this.outbox[i]; }
    }
    return null;
  };

  /* The stored copy arrived: forget the pending entry and remove its bubble. */
  ChatSession.prototype.settle = function (clientId) {
    var pending = this.pendingFor(clientId);
    if (!pending) { return; }
    if (pending.element.parentNode) {
      pending.element.parentNode.removeChild(pending.element);
    }
    var wasHead = this.outbox[0] === pending;
    this.outbox.splice(this.outbox.indexOf(pending), 1);
    this.saveOutbox();
    if (pending.retryAt) { this.showNotice(""); }
    if (wasHead) {
      clearTimeout(this.ackTimer);
      this.flush();
    }
  };

  ChatSession.prototype.flush = function () {
    var head = this.outbox[0];
    if (!head || head.sentAt || !this.socket.isOpen()) { return; }
    if (head.retryAt > Date.now()) { return; }   // retryLater's timer sends it
    head.retryAt = 0;
    var frame = { type: "message", body: head.body, client_id: head.clientId };
    if (this.options.messageFrame) { frame = this.options.messageFrame(frame); }
    if (!this.send(frame)) { return; }
    head.sentAt = Date.now();
    var label = head.element.querySelector(".chat__pending-label");
    if (label) { label.textContent = this.strings.sending; }
    var self = this;
    clearTimeout(this.ackTimer);
    // No acknowledgement in time: send it again, same client_id (the server will not store it twice).
    this.ackTimer = setTimeout(function () {
      if (self.outbox[0] === head) {
        head.sentAt = 0;
        self.flush();
      }
    }, ACK_TIMEOUT_MS);
  };

  /* Typing, read marks ---------------------------------------------------------------- */

  ChatSession.prototype.noteTyping = function () {
    var now = Date.now();
    if (this.closed || now - this.lastTypingSent < TYPING_SEND_EVERY_MS) { return; }
    if (this.send({ type: "typing" })) { this.lastTypingSent = now; }
  };

  ChatSession.prototype.showTyping = function () {
    if (!this.typingBox || this.closed) { return; }
    var name = (this.options.otherName && this.options.otherName()) || this.strings.someone || "";
    if (this.typingText) { this.typingText.textContent = format(this.strings.typing, { name: name }); }
    this.typingBox.hidden = false;
    var self = this;
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(function () { self.hideTyping(); }, TYPING_SHOWN_MS);
  };

  ChatSession.prototype.hideTyping = function () {
    clearTimeout(this.typingTimer);
    if (this.typingBox) { this.typingBox.hidden = true; }
  };

  ChatSession.prototype.isVisible = function () {
    if (document.visibilityState && document.visibilityState !== "visible") { return false; }
    return typeof this.options.isVisible === "function" ? this.options.isVisible() : true;
  };

  ChatSession.prototype.scheduleRead = function () {
    var self = this;
    clearTimeout(this.readTimer);
    this.readTimer = setTimeout(function () { self.sendRead(); }, 300);
  };

  ChatSession.prototype.sendRead = function () {
    if (this.lastOtherId <= this.readSent || !this.isVisible()) { return; }
    if (this.send({ type: "read", up_to: this.lastId })) { this.readSent = this.lastId; }
  };

  /* "Read" under our own last message once the other side has read it. */
  ChatSession.prototype.updateReadMark = function () {
    var old = this.log.querySelectorAll(".chat__read");
    Array.prototype.forEach.call(old, function (mark) { mark.parentNode.removeChild(mark); });
    var own = this.log.querySelectorAll('li[data-id][data-sender="' + this.role + '"]');
    var last = own[own.length - 1];
    if (!last || Number(last.getAttribute("data-id")) > this.otherReadUpTo || !this.strings.read) { return; }
    var meta = last.querySelector(".chat__meta");
    if (!meta) { return; }
    var mark = document.createElement("span");
    mark.className = "chat__read";
    mark.textContent = " · " + this.strings.read;
    meta.appendChild(mark);
  };

  /* Composer ------------------------------------------------------------------------ */

  ChatSession.prototype.bindComposer = function () {
    if (!this.form || !this.input) { return; }
    var self = this;
    this.form.addEventListener("submit", function (event) {
      if (self.socket.stopped && !self.closed) { return; }   // refused socket: the plain form post still works
      event.preventDefault();
      if (self.sendMessage(self.input.value)) {
        self.input.value = "";
        self.autoGrow();
      }
      self.input.focus();
    });
    this.input.addEventListener("keydown", function (event) {
      // Enter sends, Shift+Enter adds a line; never while an input method is composing (Chinese).
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        if (typeof self.form.requestSubmit === "function") {
          self.form.requestSubmit();
        } else {
          self.form.dispatchEvent(new Event("submit", { cancelable: true }));
        }
      }
    });
    this.input.addEventListener("input", function () {
      // Text a refusal put back stays across a reload until it is sent or cleared.
      if (store.get("draft." + self.storageKey) !== null) { self.saveDraft(self.input.value); }
      self.autoGrow();
      if (self.input.value.trim()) { self.noteTyping(); }
    });
  };

  ChatSession.prototype.autoGrow = function () {
    if (!this.input) { return; }
    this.input.style.height = "auto";
    this.input.style.height = Math.min(this.input.scrollHeight + 2, 160) + "px";
  };

  ChatSession.prototype.setClosed = function (closed) {
    this.closed = closed;
    if (this.input) { this.input.disabled = closed; }
    if (this.sendButton) { this.sendButton.disabled = closed; }
    if (closed) { this.hideTyping(); }
  };

  /* Notices ------------------------------------------------------------------------- */

  ChatSession.prototype.showConnection = function (text) {
    if (!this.connectionBox) { return; }
    this.connectionBox.textContent = text || "";
    this.connectionBox.hidden = !text;
    var labels = this.log.querySelectorAll(".is-pending .chat__pending-label");
    var label = text ? (this.strings["not-sent"] || this.strings.sending) : this.strings.sending;
    Array.prototype.forEach.call(labels, function (element) { element.textContent = label; });
  };

  /* A passing notice (a retry is on its way), polite rather than an alert. */
  ChatSession.prototype.showNotice = function (text) {
    if (!this.connectionBox || this.socket.ws === null) { return; }
    this.connectionBox.textContent = text || "";
    this.connectionBox.hidden = !text;
  };

  ChatSession.prototype.showError = function (text) {
    if (!this.errorBox) { return; }
    this.errorBox.textContent = text || "";
    this.errorBox.hidden = !text;
  };

  ChatSession.prototype.clearError = function () {
    this.showError("");
  };

  ChatSession.prototype.isNearEnd = function () {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 80;
  };

  ChatSession.prototype.scrollToEnd = function () {
    this.log.scrollTop = this.log.scrollHeight;
  };

  window.WalletChat = {
    ReconnectingSocket: ReconnectingSocket,
    ChatSession: ChatSession,
    readStrings: readStrings,
    format: format,
    uuid: uuid,
    errorHandling: errorHandling,
    errorText: errorText,
    store: store
  };

  /* The customer's conversation page --------------------------------------------------- */

  var root = document.querySelector("[data-chat][data-role='customer']");
  if (!root || !("WebSocket" in window) || !window.Set || !window.Map) { return; }

  var agentName = root.getAttribute("data-agent-name") || "";
  var statusLine = root.querySelector("[data-chat-status]");
  var verifyLink = root.querySelector("[data-chat-verify]");
  var rating = document.querySelector("[data-chat-rating]");
  var endForm = document.querySelector("[data-chat-end]");

  function setText(element, text) {
    if (element && element.textContent.trim() !== text) { element.textContent = text; }
  }

  var session = new ChatSession(root, {
    role: "customer",
    conversation: root.getAttribute("data-conversation"),
    wsPath: root.getAttribute("data-ws-path"),
    otherName: function () { return agentName; },
    onStatus: function (status, chat) {
      var strings = chat.strings;
      if (status.status === "queued") {
        var minutes = Math.max(1, Math.round((Number(status.wait_seconds) || 0) / 60));
        var template = minutes === 1 ? strings["queued-one"] : strings["queued-other"];
        setText(statusLine, format(template, { position: status.position, minutes: minutes }));
        if (verifyLink) { verifyLink.hidden = true; }
      } else if (status.status === "active" && status.agent) {
        agentName = status.agent.name || "";
        setText(statusLine, format(strings.active, { name: agentName, code: status.agent.code || "" }));
        if (verifyLink) { verifyLink.hidden = false; }
      } else if (status.status === "unanswered") {
        // Nobody took it in time: the customer may still write, for the team to answer by email.
        setText(statusLine, strings.unanswered);
        if (verifyLink) { verifyLink.hidden = true; }
        if (endForm) { endForm.hidden = true; }
      } else if (status.status === "closed") {
        setText(statusLine, strings.closed);
        if (verifyLink) { verifyLink.hidden = true; }
        if (endForm) { endForm.hidden = true; }
        if (rating) { rating.hidden = false; }
      }
    }
  });

  if (root.getAttribute("data-status") === "closed") {
    session.setClosed(true);
    return;   // nothing more will happen in a closed chat
  }
  session.start();

  window.addEventListener("online", function () { session.socket.wake(); });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      session.socket.wake();
      session.scheduleRead();
    }
  });
})();
