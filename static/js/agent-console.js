/*
 * Agent console for live chat (docs/chat-protocol.md). Needs chat.js first (window.WalletChat).
 *
 * Two kinds of socket:
 *   /ws/agent/      the waiting queue, presence, accept, transfer and close;
 *   /ws/chat/<id>/  one per open chat (a WalletChat.ChatSession): its history (resume after 0),
 *                   messages, typing and read marks. Agent messages are sent on this socket.
 * Live events for accepted chats arrive on both; messages are de-duplicated by id.
 * A heartbeat goes on /ws/agent/ every 20 s while it is open: the server counts an agent as
 * available only while their heartbeats arrive (docs/chat-protocol.md, "Heartbeat").
 */
(function () {
  "use strict";

  var WalletChat = window.WalletChat;
  var root = document.querySelector("[data-agent-console]");
  if (!root || !WalletChat || !("WebSocket" in window) || !window.Map || !("content" in document.createElement("template"))) {
    return;
  }
  root.hidden = false;

  var UNREAD_AFTER_MS = 3000;      // messages arriving later than this after a chat opens count as new
  var QUEUE_TICK_MS = 15000;
  var HEARTBEAT_MS = 20000;

  var strings = WalletChat.readStrings(root);
  var format = WalletChat.format;
  var myCode = root.getAttribute("data-my-code") || "-";
  var chatPrefix = root.getAttribute("data-chat-ws-prefix") || "/ws/chat/";
  var problemTypes = {};
  try {
    problemTypes = JSON.parse(document.getElementById("chat-problem-types").textContent) || {};
  } catch (error) { problemTypes = {}; }

  var connectionBox = root.querySelector("[data-console-connection]");
  var errorBox = root.querySelector("[data-console-error]");
  var presence = root.querySelector("[data-presence]");
  var capacityText = root.querySelector("[data-capacity]");
  var queueList = root.querySelector("[data-queue]");
  var queueEmpty = root.querySelector("[data-queue-empty]");
  var queueCount = root.querySelector("[data-queue-count]");
  var queueAnnounce = root.querySelector("[data-queue-announce]");
  var mineList = root.querySelector("[data-mine]");
  var mineEmpty = root.querySelector("[data-mine-empty]");
  var panesBox = root.querySelector("[data-panes]");
  var panesEmpty = root.querySelector("[data-panes-empty]");
  var queueTemplate = document.querySelector("template[data-queue-template]");
  var mineTemplate = document.querySelector("template[data-mine-template]");
  var paneTemplate = document.querySelector("template[data-pane-template]");

  var panes = new Map();        // conversation id → pane
  var known = {};               // conversation id → {name, problem_type} seen in the queue
  var selected = null;
  var acceptRequested = null;   // open this chat as soon as our accept is confirmed
  var lastQueueCount = 0;
  var capacity = 1;

  function field(element, name) {
    return element.querySelector("[data-field='" + name + "']");
  }

  function showError(text) {
    errorBox.textContent = text || "";
    errorBox.hidden = !text;
  }

  function showConnection(text) {
    connectionBox.textContent = text || "";
    connectionBox.hidden = !text;
  }

  /* The agent socket ---------------------------------------------------------------------- */

  var agentSocket = new WalletChat.ReconnectingSocket(root.getAttribute("data-ws-path"), {
    open: function () {
      showConnection("");
      sendHeartbeat();
    },
    lost: function () {
      root.removeAttribute("data-connected");
      showConnection(strings.reconnecting);
    },
    forbidden: function () {
      showConnection("");
      showError(strings.forbidden);
    },
    message: function (data) {
      switch (data.type) {
        case "queue":
          // The server sends the queue once it counts this console as present.
          root.setAttribute("data-connected", "");
          onQueue(data);
          break;
        case "status": onAgentStatus(data); break;
        case "message": {
          var pane = panes.get(data.conversation);
          if (pane) { pane.session.handle(data); }
          break;
        }
        case "error": onAgentError(data); break;
        case "heartbeat": break;   // the server's answer: nothing to show
        default: break;   // typing and read come on each chat's own socket
      }
    }
  });

  /* An older server answers a heartbeat with unknown_type: quiet, like every code that is not
     about something the agent did (WalletChat.errorHandling). */
  function onAgentError(error) {
    if (WalletChat.errorHandling(error.code) === "quiet") { return; }
    if (acceptRequested) {
      acceptRequested = null;
      Array.prototype.forEach.call(queueList.querySelectorAll("[data-action='accept']"), function (button) {
        button.disabled = false;
      });
    }
    showError(WalletChat.errorText(strings, error));
  }

  function sendHeartbeat() {
    agentSocket.send({ type: "heartbeat" });
  }

  function sendAgent(frame) {
    if (agentSocket.send(frame)) { return true; }
    showError(strings["not-connected"]);
    return false;
  }

  /* Queue ------------------------------------------------------------------------------ */

  var queueEntries = [];
  var queueReceivedAt = 0;

  function waitingText(seconds) {
    if (seconds < 60) { return format(strings["waited-seconds"], { seconds: Math.max(0, Math.round(seconds)) }); }
    return format(strings["waited-minutes"], { minutes: Math.floor(seconds / 60) });
  }

  function refreshWaitingTimes() {
    var elapsed = (Date.now() - queueReceivedAt) / 1000;
    Array.prototype.forEach.call(queueList.children, function (item, index) {
      var entry = queueEntries[index];
      if (entry) { field(item, "waiting").textContent = waitingText((entry.waiting_seconds || 0) + elapsed); }
    });
  }

  function onQueue(snapshot) {
    queueEntries = Array.isArray(snapshot.conversations) ? snapshot.conversations : [];
    queueReceivedAt = Date.now();
    queueList.textContent = "";
    queueEntries.forEach(function (entry) {
      known[entry.conversation] = { name: entry.name, problem_type: entry.problem_type };
      var item = queueTemplate.content.firstElementChild.cloneNode(true);
      field(item, "problem").textContent = problemTypes[entry.problem_type] || entry.problem_type || "";
      field(item, "name").textContent = entry.name || strings.customer;
      field(item, "first").textContent = entry.first_message || "";
      var accept = item.querySelector("[data-action='accept']");
      accept.setAttribute("data-conversation", entry.conversation);
      accept.setAttribute("aria-label", accept.textContent.trim() + ": " + (entry.name || strings.customer));
      queueList.appendChild(item);
    });
    refreshWaitingTimes();
    queueEmpty.hidden = queueEntries.length > 0;
    queueCount.textContent = String(queueEntries.length);
    if (queueEntries.length !== lastQueueCount) {
      queueAnnounce.textContent = format(strings["queue-count"], { count: queueEntries.length });
      lastQueueCount = queueEntries.length;
    }

    var active = Array.isArray(snapshot.active) ? snapshot.active : [];
    active.forEach(function (id) { openPane(id); });
    panes.forEach(function (pane, id) {
      if (pane.state === "active" && active.indexOf(id) === -1) { setPaneState(pane, "gone", strings["pane-gone"]); }
    });
    capacity = snapshot.capacity || capacity;
    renderCapacity();
    if (snapshot.availability && document.activeElement !== presence) { presence.value = snapshot.availability; }
  }

  queueList.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action='accept']");
    if (!button) { return; }
    showError("");
    var id = button.getAttribute("data-conversation");
    if (sendAgent({ type: "accept", conversation: id })) {
      acceptRequested = id;
      button.disabled = true;
    }
  });

  presence.addEventListener("change", function () {
    showError("");
    sendAgent({ type: "presence", availability: presence.value });
  });

  /* Status on the agent socket: the answer to accept, and changes of our chats. */
  function onAgentStatus(status) {
    var id = status.conversation;
    if (!id) { return; }
    if (status.status === "active" && status.agent && status.agent.code === myCode) {
      var pane = openPane(id);
      pane.session.handle(status);
      if (acceptRequested === id) {
        acceptRequested = null;
        selectPane(pane, true);
      }
      return;
    }
    if (panes.has(id)) { panes.get(id).session.handle(status); }
  }

  /* Chat panes --------------------------------------------------------------------------- */

  function paneTitle(pane) {
    var label = problemTypes[pane.problemType] || "";
    return (pane.name || strings.customer) + (label ? " · " + label : "");
  }

  function renderPaneLabels(pane) {
    field(pane.element, "title").textContent = paneTitle(pane);
    field(pane.item, "name").textContent = pane.name || strings.customer;
    field(pane.item, "state").textContent = strings["state-" + pane.state] || "";
    var unread = field(pane.item, "unread");
    unread.hidden = !pane.unread;
    unread.textContent = pane.unread ? pane.unread + " " + strings.unread : "";
  }

  function renderCapacity() {
    var count = 0;
    panes.forEach(function (pane) { if (pane.state === "active") { count += 1; } });
    capacityText.textContent = format(strings.capacity, { count: count, capacity: capacity });
  }

  function setPaneState(pane, state, text) {
    pane.state = state;
    var status = pane.element.querySelector("[data-chat-status]");
    if (text && status.textContent !== text) { status.textContent = text; }
    var mine = state === "active";
    pane.session.setClosed(!mine);
    pane.element.querySelector("[data-action='close']").hidden = !mine;
    pane.element.querySelector("[data-transfer]").hidden = !mine;
    var canned = pane.element.querySelector(".console__canned");
    if (canned) { canned.hidden = !mine; }
    renderPaneLabels(pane);
    renderCapacity();
  }

  function openPane(id) {
    if (panes.has(id)) { return panes.get(id); }
    var element = paneTemplate.content.firstElementChild.cloneNode(true);
    element.hidden = true;
    element.setAttribute("data-conversation", id);
    element.id = "chat-" + id;
    var title = field(element, "title");
    title.id = "chat-title-" + id;
    element.setAttribute("aria-labelledby", title.id);
    element.querySelector("[data-chat-log]").setAttribute("aria-labelledby", title.id);
    panesBox.appendChild(element);

    var item = mineTemplate.content.firstElementChild.cloneNode(true);
    item.querySelector("[data-action='select']").setAttribute("aria-controls", element.id);
    mineList.appendChild(item);
    mineEmpty.hidden = true;

    var info = known[id] || {};
    var pane = {
      id: id,
      element: element,
      item: item,
      name: info.name || "",
      problemType: info.problem_type || "",
      state: "active",
      language: "",
      reference: "",
      salutation: "",
      unread: 0,
      openedAt: Date.now(),
      session: null
    };
    pane.session = new WalletChat.ChatSession(element, {
      role: "agent",
      conversation: id,
      wsPath: chatPrefix + id + "/",
      strings: strings,
      otherName: function () { return pane.name; },
      isVisible: function () { return selected === pane; },
      onMessage: function (message) { onPaneMessage(pane, message); },
      onStatus: function (status) { onPaneStatus(pane, status); }
    });
    panes.set(id, pane);
    bindPane(pane);
    renderPaneLabels(pane);
    pane.session.start();   // connects, then asks for the whole history: resume after 0
    if (!selected) { selectPane(pane, false); }
    return pane;
  }

  function onPaneMessage(pane, message) {
    if (message.sender === "customer" && message.author && message.author !== pane.name) {
      pane.name = message.author;
      if (pane.state === "active") {
        setPaneState(pane, "active", format(strings["pane-active"], { name: pane.name }));
      } else {
        renderPaneLabels(pane);
      }
    }
    if (message.sender === "customer" && selected !== pane && Date.now() - pane.openedAt > UNREAD_AFTER_MS) {
      pane.unread += 1;
      renderPaneLabels(pane);
    }
  }

  function onPaneStatus(pane, status) {
    // The customer's language, ticket reference and how to address them, for canned replies.
    if (typeof status.language === "string") { pane.language = status.language; }
    if (typeof status.reference === "string") { pane.reference = status.reference; }
    if (typeof status.salutation === "string") { pane.salutation = status.salutation; }
    if (status.status === "closed") {
      setPaneState(pane, "closed", strings.closed);
    } else if (status.status === "queued") {
      setPaneState(pane, "gone", strings["pane-queued"]);
    } else if (status.status === "active" && status.agent) {
      if (status.agent.code === myCode) {
        setPaneState(pane, "active", format(strings["pane-active"], { name: pane.name || strings.customer }));
      } else {
        setPaneState(pane, "gone", format(strings["pane-transferred"], { name: status.agent.name || "", code: status.agent.code || "" }));
      }
    }
  }

  function selectPane(pane, moveFocus) {
    selected = pane;
    panesEmpty.hidden = true;
    panes.forEach(function (other) {
      other.element.hidden = other !== pane;
      var button = other.item.querySelector("[data-action='select']");
      if (other === pane) { button.setAttribute("aria-current", "true"); } else { button.removeAttribute("aria-current"); }
    });
    pane.unread = 0;
    renderPaneLabels(pane);
    pane.session.scrollToEnd();
    pane.session.scheduleRead();
    if (moveFocus) {
      var title = field(pane.element, "title");
      title.focus({ preventScroll: true });
      pane.element.scrollIntoView({ block: "start", behavior: "smooth" });
    }
  }

  mineList.addEventListener("click", function (event) {
    var button = event.target.closest("[data-action='select']");
    if (!button) { return; }
    panes.forEach(function (pane) {
      if (pane.item.contains(button)) { selectPane(pane, true); }
    });
  });

  function bindPane(pane) {
    var element = pane.element;
    var input = element.querySelector("textarea");

    element.querySelector("[data-action='close']").addEventListener("click", function () {
      if (window.confirm(strings["confirm-close"])) {
        pane.session.clearError();
        sendAgent({ type: "close", conversation: pane.id });
      }
    });

    var canned = element.querySelector(".console__canned");
    if (canned) {
      canned.addEventListener("click", function (event) {
        var button = event.target.closest("[data-canned]");
        if (!button || input.disabled) { return; }
        insertText(input, cannedText(button, pane));
        pane.session.autoGrow();
      });
    }

    var transfer = element.querySelector("[data-transfer-form]");
    transfer.addEventListener("submit", function (event) {
      event.preventDefault();
      var agent = transfer.elements.agent.value.trim().toUpperCase();
      var team = transfer.elements.team.value.trim().toLowerCase();
      if (!agent === !team) {
        pane.session.showError(strings["transfer-need"]);
        return;
      }
      pane.session.clearError();
      var frame = { type: "transfer", conversation: pane.id };
      if (agent) { frame.agent = agent; } else { frame.team = team; }
      if (sendAgent(frame)) {
        transfer.reset();
        element.querySelector("[data-transfer]").open = false;
      }
    });
  }

  /* A canned reply in the customer's language with its placeholders filled; a placeholder with
     nothing to fill it is left out rather than sent to the customer as "{reference}". */
  function cannedText(button, pane) {
    var text = (pane.language && button.getAttribute("data-canned-" + pane.language)) || button.getAttribute("data-canned") || "";
    var values = {
      name: pane.salutation || pane.name || strings.customer,
      reference: pane.reference
    };
    return text.replace(/\s*\{(\w+)\}/g, function (match, key) {
      var value = values[key];
      if (!value) { return ""; }
      return match.slice(0, match.indexOf("{")) + value;
    }).replace(/\s+([,.!?，。！？])/g, "$1").replace(/ {2,}/g, " ").trim();
  }

  function insertText(input, text) {
    input.focus();
    if (typeof input.setRangeText === "function") {
      var start = input.selectionStart || 0;
      var end = input.selectionEnd || 0;
      var before = input.value.slice(0, start);
      var glue = before && !/\s$/.test(before) ? " " : "";
      input.setRangeText(glue + text, start, end, "end");
    } else {
      input.value += (input.value ? " " : "") + text;
    }
  }

  /* Start ----------------------------------------------------------------------------------- */

  agentSocket.open();
  setInterval(refreshWaitingTimes, QUEUE_TICK_MS);
  setInterval(function () {
    if (agentSocket.isOpen()) { sendHeartbeat(); }
  }, HEARTBEAT_MS);

  window.addEventListener("online", function () {
    agentSocket.wake();
    panes.forEach(function (pane) { pane.session.socket.wake(); });
  });
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState !== "visible") { return; }
    agentSocket.wake();
    panes.forEach(function (pane) { pane.session.socket.wake(); });
    if (selected) { selected.session.scheduleRead(); }
  });
})();
