// Verbatim's page behaviour: what Gradio's Chatbot cannot do from Python.
//
// - [n] markers: click scrolls the sources panel to that sentence and flashes it; hover or
//   focus shows a popover with the sentence, its title and date.
// - Copy: the message's plain text (hidden .qa-plain), not its HTML.
// - Screen readers: each message's aria-label is its plain text, not its HTML.
// - Scrolling: the newest question stays in view with its answer below it.
// - Articles table: a cell's full text as its tooltip (ids are cut with an ellipsis).
// - Conversations changed in another tab: this tab reloads at once when out of sight, else
//   before it is used again.
// - A question on its way when the page reloads comes back into the question box.
// - Sidebar clicks while an answer is read wait for the answer (it would undo them).
// - Keyboard and screen readers: radios move with the arrow keys, focus lands somewhere
//   useful after each action, Escape closes a confirmation, a streaming answer is read once.
//
// Everything is delegated from `document`, so it survives Gradio re-rendering the chat.
(() => {
  if (window.__verbatim) return;
  window.__verbatim = true;

  const FLASH_MS = 1600;
  let popover = null;

  // -- citation markers --------------------------------------------------------------------
  function targetOf(marker) {
    const id = (marker.getAttribute("href") || "").replace(/^#/, "");
    return id ? document.getElementById(id) : null;
  }

  // The sources panel scrolls by itself beside the chat (ui/style.css): scroll it alone, so the
  // chat stays where it is; below the chat (a phone) the page scrolls to the sentence.
  function scrollTo(target) {
    for (let box = target.parentElement; box && box !== document.body; box = box.parentElement) {
      if (/(auto|scroll)/.test(getComputedStyle(box).overflowY) && box.scrollHeight > box.clientHeight) {
        const offset = target.getBoundingClientRect().top - box.getBoundingClientRect().top;
        box.scrollTop += offset - (box.clientHeight - target.offsetHeight) / 2;
        box.scrollIntoView({ block: "nearest", behavior: "auto" });
        return;
      }
    }
    target.scrollIntoView({ block: "center", behavior: "auto" });
  }

  function showSentence(marker) {
    const target = targetOf(marker);
    if (!target) return false;
    const section = target.closest("details");
    if (section && !section.open) section.open = true;
    scrollTo(target);
    target.classList.remove("qa-flash");
    void target.offsetWidth; // restart the animation when the same marker is clicked twice
    target.classList.add("qa-flash");
    setTimeout(() => target.classList.remove("qa-flash"), FLASH_MS);
    // Focus follows, so a keyboard or screen-reader user lands on the cited sentence too.
    target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: true });
    return true;
  }

  document.addEventListener(
    "click",
    (event) => {
      const marker = event.target.closest && event.target.closest("a.qa-cite");
      if (!marker) return;
      event.preventDefault();
      event.stopPropagation(); // the Chatbot would treat it as a message click
      hidePopover();
      showSentence(marker);
    },
    true,
  );

  function hidePopover() {
    if (popover) popover.hidden = true;
  }

  function showPopover(marker) {
    const body = marker.querySelector(".qa-pop");
    if (!body) return;
    if (!popover) {
      popover = document.createElement("div");
      popover.id = "qa-popover";
      popover.setAttribute("role", "tooltip");
    }
    // Inside the page's <main> landmark (axe's "region" rule), where screen readers' landmark
    // navigation finds it; <main> has no transform, so position: fixed stays the viewport's.
    if (!popover.isConnected) (document.querySelector("main") || document.body).appendChild(popover);
    popover.replaceChildren(...Array.from(body.childNodes, (n) => n.cloneNode(true)));
    popover.hidden = false;
    const r = marker.getBoundingClientRect();
    const width = Math.min(360, window.innerWidth - 16);
    popover.style.width = `${width}px`;
    const left = Math.max(8, Math.min(r.left, window.innerWidth - width - 8));
    // Below the marker, or above it where there is more room; never over it. Scrolls when
    // taller than that room (at 400% zoom it covered the marker, its source line cut off).
    const room = { below: window.innerHeight - r.bottom - 14, above: r.top - 14 };
    popover.style.maxHeight = "";
    const height = popover.offsetHeight;
    const under = height <= room.below || room.below >= room.above;
    popover.style.maxHeight = `${Math.max(48, under ? room.below : room.above)}px`;
    const top = under ? r.bottom + 6 : Math.max(8, r.top - Math.min(height, room.above) - 6);
    popover.style.left = `${left}px`;
    popover.style.top = `${top}px`;
  }

  // It stays while the pointer moves onto it, across the gap (to read or magnify it: WCAG
  // 1.4.13, hoverable), and goes a moment after the pointer has left both.
  const onMarkerOrPopover = (node) =>
    !!(node && node.closest && (node.closest("a.qa-cite") || node.closest("#qa-popover")));
  let hideTimer = 0;
  for (const [type, show] of [["mouseover", true], ["focusin", true], ["mouseout", false], ["focusout", false]]) {
    document.addEventListener(type, (event) => {
      const marker = event.target.closest && event.target.closest("a.qa-cite");
      if (type.startsWith("mouse") && onMarkerOrPopover(event.target)) clearTimeout(hideTimer);
      if (!marker && !(type === "mouseout" && onMarkerOrPopover(event.target))) return;
      if (show) showPopover(marker);
      else if (type === "focusout") hidePopover();
      else if (!onMarkerOrPopover(event.relatedTarget)) hideTimer = setTimeout(hidePopover, 300);
    });
  }
  // Escape hides it for the focused marker until the focus moves on (a scroll brings it back otherwise).
  let dismissed = null;
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    dismissed = document.activeElement;
    hidePopover();
  });
  document.addEventListener("focusin", () => (dismissed = null));
  // A scroll hides the popover, but for the marker that has the focus while it is in view:
  // focusing a marker scrolls it into view, and that scroll hid its popover at once.
  document.addEventListener(
    "scroll",
    (event) => {
      if (event.target && event.target.id === "qa-popover") return; // its own text, scrolled to read
      const focused = document.activeElement && document.activeElement.closest("a.qa-cite");
      const r = focused && focused.getBoundingClientRect();
      // In view: the window's, and the scrolling chat's or sources panel's around it.
      const frame = focused && focused.closest("[role=log], .bubble-wrap, #sources");
      const f = frame ? frame.getBoundingClientRect() : { top: 0, bottom: window.innerHeight };
      const shown = r && r.bottom > Math.max(0, f.top) && r.top < Math.min(window.innerHeight, f.bottom);
      // Shown again once in view: the focus's scroll runs in steps, the chat's and the page's,
      // and a step with the marker out of view hid it for good (at 320 x 200 px).
      if (shown && dismissed !== focused) showPopover(focused);
      else hidePopover();
    },
    true,
  );

  // -- plain text: copy and aria-labels ----------------------------------------------------
  function plainText(message) {
    const plain = message.querySelector(".qa-plain");
    if (plain) return plain.textContent.trim();
    const clone = message.cloneNode(true);
    clone.querySelectorAll(".qa-pop, .qa-plain").forEach((n) => n.remove());
    return (clone.textContent || "").replace(/\s+/g, " ").trim();
  }

  // A message's buttons follow it in the DOM: its message is the last one before the button.
  function messageOf(button) {
    let found = null;
    for (const message of document.querySelectorAll("#chatbot [data-testid='bot'], #chatbot [data-testid='user']")) {
      if (message.compareDocumentPosition(button) & Node.DOCUMENT_POSITION_FOLLOWING) found = message;
    }
    return found;
  }

  document.addEventListener(
    "click",
    (event) => {
      const button = event.target.closest && event.target.closest("#chatbot button");
      if (!button || !/^copy/i.test(button.getAttribute("aria-label") || "")) return;
      if (/conversation/i.test(button.getAttribute("aria-label") || "")) return;
      const message = messageOf(button);
      if (!message) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      copyText(plainText(message)).then((copied) => {
        // Said where everyone gets it: the button's name and title, and a status line.
        const said = copied ? "Copied" : "Could not copy: select the text and copy it";
        button.setAttribute("title", said);
        button.setAttribute("aria-label", `Copy message (${said.toLowerCase()})`); // still a copy button
        announce(copied ? "Answer copied to the clipboard" : said);
        setTimeout(() => {
          button.setAttribute("title", "Copy message");
          button.setAttribute("aria-label", "Copy message");
        }, 1500);
      });
    },
    true,
  );

  // The clipboard API exists only on https and localhost pages: on http://<address> (qa serve
  // --host 0.0.0.0) it is undefined, and Copy threw and copied nothing. The older way works there.
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        () => true,
        () => copiedTheOldWay(text),
      );
    }
    return Promise.resolve(copiedTheOldWay(text));
  }

  function copiedTheOldWay(text) {
    const focused = document.activeElement;
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.cssText = "position: fixed; top: 0; left: 0; opacity: 0;";
    document.body.appendChild(area);
    area.select();
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    area.remove();
    if (focused && focused.focus) focused.focus();
    return copied;
  }

  // A short message for screen readers (a polite status line, visually hidden).
  function announce(message) {
    let status = document.getElementById("qa-announce");
    if (!status) {
      status = document.createElement("div");
      status.id = "qa-announce";
      status.setAttribute("role", "status");
      status.className = "qa-visually-hidden";
      (document.querySelector("main") || document.body).appendChild(status);
    }
    status.textContent = "";
    setTimeout(() => (status.textContent = message), 50); // a change, even for the same words twice
  }

  function labelMessages(root) {
    for (const message of root.querySelectorAll("[data-testid='bot'], [data-testid='user']")) {
      const who = message.getAttribute("data-testid") === "bot" ? "Answer" : "Question";
      const label = `${who}: ${plainText(message)}`;
      if (message.getAttribute("aria-label") !== label) message.setAttribute("aria-label", label);
    }
  }

  // -- keep the newest question in view ----------------------------------------------------
  let lastQuestions = 0;
  let lastBotText = "";

  function keepNewestInView(chat) {
    const questions = chat.querySelectorAll("[data-testid='user']");
    const bots = chat.querySelectorAll("[data-testid='bot']");
    const botText = bots.length ? bots[bots.length - 1].textContent : "";
    if (questions.length === lastQuestions && botText === lastBotText) return;
    lastQuestions = questions.length;
    lastBotText = botText;
    if (!questions.length) return;
    const newest = questions[questions.length - 1];
    const scroller = chat.querySelector(".bubble-wrap") || chat;
    const offset = newest.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
    scroller.scrollTop += offset - 8; // the question at the top, its answer below it
    const top = newest.getBoundingClientRect().top;
    if (top < 0 || top > window.innerHeight * 0.6) {
      window.scrollBy({ top: top - 8, behavior: "auto" }); // small screens: bring the chat into view
    }
  }

  let pending = false;
  const observer = new MutationObserver(() => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      const chat = document.getElementById("chatbot");
      accessible(chat);
      if (!chat) return;
      labelMessages(chat);
      keepNewestInView(chat);
    });
  });

  function start() {
    observer.observe(document.body, {
      subtree: true,
      childList: true,
      characterData: true,
      attributes: true,
      attributeFilter: ["aria-label", "disabled"],
    });
  }
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);

  // -- small screens: the sidebar starts closed and closes after a pick ---------------------
  // Gradio's own breakpoint: up to 768 px its open sidebar covers the whole width (at 701-768
  // px, an iPad mini upright, the chat was hidden behind it on load).
  const NARROW = "(max-width: 768px)";
  function closeSidebar() {
    const sidebar = document.getElementById("sidebar");
    const toggle = sidebar && sidebar.querySelector(".toggle-button");
    if (toggle && sidebar.classList.contains("open") && window.matchMedia(NARROW).matches) toggle.click();
  }
  const closeOnce = setInterval(() => {
    if (!document.getElementById("sidebar")) return;
    clearInterval(closeOnce);
    closeSidebar();
  }, 50);
  // An arrow key's step through the conversations clicks the next one (see STEPS): that is no
  // pick, and closing the sidebar after it left the focus on a radio off screen.
  let arrowStep = false;
  document.addEventListener("click", (event) => {
    if (arrowStep) return;
    if (event.target.closest && event.target.closest("#new-chat, #chats label, #undo-delete")) {
      setTimeout(closeSidebar, 50);
    }
  });
  // A closed sidebar's controls are out of reach (Tab, screen readers): keyboard users reached
  // its off-screen "Delete this chat", and deleted a conversation they could not see. An open
  // one over the whole width (narrow screens) puts the page behind it out of reach, and Escape
  // closes it.
  function sidebarReach() {
    const sidebar = document.getElementById("sidebar");
    const content = sidebar && sidebar.querySelector(".sidebar-content");
    if (!content) return;
    const open = sidebar.classList.contains("open");
    if (content.inert === open) content.inert = !open;
    const covering = open && window.matchMedia(NARROW).matches;
    for (const other of sidebar.parentElement.children) {
      if (other !== sidebar && other.inert !== covering) other.inert = covering;
    }
  }
  const watchSidebar = setInterval(() => {
    const sidebar = document.getElementById("sidebar");
    if (!sidebar) return;
    clearInterval(watchSidebar);
    sidebarReach();
    new MutationObserver(sidebarReach).observe(sidebar, { attributes: true, attributeFilter: ["class"] });
    window.matchMedia(NARROW).addEventListener("change", sidebarReach);
  }, 50);
  document.addEventListener("keydown", (event) => {
    const sidebar = document.getElementById("sidebar");
    if (event.key !== "Escape" || !sidebar || !sidebar.classList.contains("open")) return;
    if (!window.matchMedia(NARROW).matches) return; // beside the chat, it hides nothing
    closeSidebar();
    const toggle = sidebar.querySelector(".toggle-button");
    if (toggle) toggle.focus();
  });

  // -- sidebar clicks while an answer is read ---------------------------------------------
  // The answer is saved with the conversations as they were when it was asked: opening,
  // starting, deleting or restoring a conversation meanwhile would be undone when it arrives
  // (the open conversation snapped back to the one answering). Such a click is held until the
  // answer has arrived, then it happens.
  // The answer's event has completed when the page's save step (ANSWERED_JS in ui/chat.py) has
  // run after it: only then can its last update no longer overwrite what the click does.
  const SIDEBAR_ACTION = "#new-chat, #delete-chat, #undo-delete, #chats label";
  const ANSWERING = "#chatbot .qa-pending, #chatbot .qa-streaming";
  // Nothing came back for this long (the server gone): stop holding. An answer's first update
  // may take seconds on a busy server; at 10 s a question sent meanwhile was dropped.
  const QUIET_MS = 120000;
  let askedAt = 0;
  let busyAt = 0;
  let heldClick = null;
  let heldQuestion = null; // the text a held Ask sends
  function answering() {
    // A question asked this long ago counts no more, even under a bubble still pending (a
    // server error left one): it held this tab's and every other tab's questions for good.
    if (askedAt && Date.now() - askedAt > QUIET_MS) askedAt = 0;
    if (document.querySelector(ANSWERING) && (askedAt || !busyAt || Date.now() - busyAt < QUIET_MS)) {
      busyAt = Date.now();
      return true;
    }
    const done = (window.verbatimSavedAt || 0) >= askedAt;
    if (askedAt && (done || Date.now() - Math.max(askedAt, busyAt) > QUIET_MS)) askedAt = 0;
    return askedAt > 0;
  }
  // The question on its way is kept for this tab until its answer is saved (ANSWERED_JS in
  // ui/chat.py clears it): reloaded meanwhile, the page lost it, box and conversation both.
  // Another tab's answer on its way: each tab saves its whole copy of the conversations, so a
  // question asked here meanwhile saved over that answer, and its conversation was lost. Such a
  // question waits for it, then (this tab's copy stale) the tab reloads with it in the box.
  // The mark names this page (a new id each load: a duplicated tab shares sessionStorage) and
  // is renewed while its answer is on its way, so a closed tab's mark soon stops counting.
  const OTHER_TAB = window.verbatimSettings.answeringKey;
  const OTHER_TAB_MS = 15000;
  const previousPage = sessionStorage.getItem("verbatim-tab");
  window.verbatimTab = Math.random().toString(36).slice(2);
  sessionStorage.setItem("verbatim-tab", window.verbatimTab);
  const navigation = performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
  // This tab reloaded while its answer came: its mark holds no other tab's answer (only on a
  // reload: a duplicated tab copies sessionStorage, and the original may still be answering).
  if (previousPage && navigation && navigation.type === "reload" && markOf() && markOf().tab === previousPage) {
    localStorage.removeItem(OTHER_TAB);
  }
  function markOf() {
    try {
      return JSON.parse(localStorage.getItem(OTHER_TAB) || "null");
    } catch (error) {
      return null;
    }
  }
  function otherTabAnswering() {
    const mark = markOf();
    return !!mark && mark.tab !== window.verbatimTab && Date.now() - mark.at < OTHER_TAB_MS;
  }
  function mark() {
    localStorage.setItem(OTHER_TAB, JSON.stringify({ tab: window.verbatimTab, at: Date.now() }));
  }
  setInterval(() => askedAt && answering() && (markOf() || {}).tab === window.verbatimTab && mark(), 5000);
  // Told by ANSWERED_JS (ui/chat.py) when this tab's answer is saved: its mark goes, and a
  // question the server refused (a bad date) comes back into an empty box, to be fixed.
  window.verbatimAnswered = () => {
    const held = markOf();
    if (held && held.tab === window.verbatimTab) localStorage.removeItem(OTHER_TAB);
    const box = document.querySelector("#q textarea");
    const answers = document.querySelectorAll("#chatbot [data-testid='bot']");
    const refused = answers.length && answers[answers.length - 1].querySelector(".qa-error");
    if (refused && box && !box.value && !heldClick && lastAsked) setText(box, lastAsked);
  };
  const busy = () => answering() || otherTabAnswering();
  // The page's load event puts the stored conversation in the chat (LOADED_JS in ui/chat.py says
  // it has run): a question asked before it, on a busy server seconds after the box appeared,
  // was erased by it. Such a question waits, as one asked during an answer does.
  const openedAt = Date.now();
  const loading = () => !window.verbatimLoaded && Date.now() - openedAt < QUIET_MS;
  const questionWaits = () => loading() || busy();
  const UNANSWERED = window.verbatimSettings.unansweredKey;
  let lastAsked = "";
  function asked(question, typed = true) {
    askedAt = Date.now();
    lastAsked = (question || "").trim();
    mark();
    if (question && question.trim()) sessionStorage.setItem(UNANSWERED, question.trim());
    // The box empties as the question leaves (its request sent: see the fetch below), not at
    // the server's first update: what was typed before that update (seconds on a busy server)
    // was erased, and a question cut off at its start was asked. One refused for its length stays.
    if (typed && question && question.length <= window.verbatimSettings.questionLimit) {
      leaving = { question, at: Date.now() };
    }
  }
  let leaving = null;
  const sendRequest = window.fetch;
  window.fetch = function (url, ...rest) {
    // Emptied once Gradio has put the question in its request: emptied sooner (a timer), a
    // tab in the background sent an empty question.
    if (leaving && String(url).includes("/queue/join")) {
      const box = document.querySelector("#q textarea");
      if (box && box.value === leaving.question && Date.now() - leaving.at < 5000) setText(box, "");
      leaving = null;
    }
    return sendRequest.call(this, url, ...rest);
  };
  document.addEventListener(
    "keydown",
    (event) => {
      const box = event.target.closest && event.target.closest("#q textarea");
      // A stale page reloads instead of asking (reloadIfStale): the question comes back as a
      // draft, and "reloaded before your question was answered" would be untrue.
      if (staleConversations || !box || event.key !== "Enter" || event.shiftKey || !box.value.trim()) return;
      if (questionWaits()) return void holdQuestion(event, box.value, "#send");
      asked(box.value);
    },
    true,
  );
  // Asked while an answer is on its way (this tab's or another tab's), a question was silently
  // dropped: it waits (`hold`), then goes, by Enter, Ask or a starter question alike.
  function holdQuestion(event, question, chosen) {
    event.preventDefault();
    event.stopImmediatePropagation();
    heldQuestion = question; // in the box if the tab must reload first: kept there as its draft
    hold(chosen);
  }
  // Hold the action `chosen` (a selector found again when it happens, as the answer re-renders
  // the sidebar's list, or a function finding the element) until the answer has arrived, then
  // click it.
  function hold(chosen) {
    const find = typeof chosen === "function" ? chosen : () => document.querySelector(chosen);
    if (heldClick) return void (heldClick = find); // the last click wins
    heldClick = find;
    document.body.classList.add("qa-holding"); // a busy cursor says the click was taken
    const wait = setInterval(() => {
      if (questionWaits()) return;
      clearInterval(wait);
      document.body.classList.remove("qa-holding");
      const target = heldClick();
      heldClick = null;
      const question = heldQuestion;
      heldQuestion = null;
      const box = document.querySelector("#q textarea");
      // What was held goes, into an empty box (or over the refused question given back): what
      // the user typed since is what they send now.
      const mine = box && (!box.value.trim() || box.value.trim() === lastAsked);
      if (question && mine && box.value !== question) setText(box, question);
      // Another tab saved meanwhile: acting on this tab's stale copy would save over it.
      if (staleConversations) return void reloadIfStale(null, true);
      if (!target) return;
      let tries = 0; // Ask is enabled by the box's own handler, a moment after the text is set
      const go = setInterval(() => {
        if (target.disabled && tries++ < 40) return;
        clearInterval(go);
        target.click();
        if (target.matches("#chats input")) target.focus(); // a held arrow key: the focus moves on too
      }, 50);
    }, 100);
  }
  const radioSelector = (radio) => `#chats input[value="${CSS.escape(radio.value)}"]`;
  document.addEventListener(
    "click",
    (event) => {
      if (!event.target.closest) return;
      const chip = event.target.closest("#chatbot button.example");
      if (chip && questionWaits()) {
        const text = chip.textContent; // the chip found again by its words: the answer re-renders them
        const again = () => [...document.querySelectorAll("#chatbot button.example")].find((b) => b.textContent === text);
        return void holdQuestion(event, text, again);
      }
      if (chip) return void asked(chip.textContent, false); // (the server empties the box it fills)
      if (event.target.closest("#send:not([disabled])")) {
        const box = document.querySelector("#q textarea");
        if (!questionWaits()) return void asked(box && box.value);
        return void holdQuestion(event, box && box.value, "#send");
      }
      const action = event.target.closest(SIDEBAR_ACTION);
      if (!action || !busy()) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      const radio = action.querySelector("#chats input");
      hold(radio ? radioSelector(radio) : `#${action.id}`);
    },
    true,
  );
  // The arrow keys move through a radio group (the conversations, the retrieval modes), as a
  // browser's own radio group does: Gradio 6 names each option apart, so the browser did not.
  // In the conversations, a move while an answer is read is held like a click.
  const STEPS = { ArrowUp: -1, ArrowLeft: -1, ArrowDown: 1, ArrowRight: 1 };
  const RADIO_GROUPS = ["#chats", "#opt-mode"];
  document.addEventListener(
    "keydown",
    (event) => {
      const radio = event.target.closest && event.target.closest("#chats input, #opt-mode input");
      if (!radio || !(event.key in STEPS)) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      const group = radio.closest(RADIO_GROUPS.join(", "));
      const radios = [...group.querySelectorAll("input[type=radio]")];
      const held = group.id === "chats" && answering();
      const pending = held && heldClick && heldClick();
      const from = pending && pending.matches("#chats input") ? pending : radio; // a second press steps on
      const next = radios[(radios.indexOf(from) + STEPS[event.key] + radios.length) % radios.length];
      if (held) return void hold(radioSelector(next));
      arrowStep = true;
      try {
        next.click();
      } finally {
        arrowStep = false;
      }
      next.focus();
    },
    true,
  );

  // -- a quiet live region while a whole conversation is repainted ----------------------------
  // The chat log is a polite live region: opening a conversation, starting one, deleting or
  // restoring one, and loading the page each put a whole conversation in it, which a screen
  // reader read out (3,500 characters at each arrow step through the list). It is off from the
  // click until the page has shown the result (REPAINTED_JS in ui/chat.py calls
  // `verbatimRepainted`), or for 10 s at most; answers are announced as before.
  let quietUntil = Date.now() + 10000; // the page's first paint of the stored conversation
  let loudAgain = 0;
  function quiet() {
    quietUntil = Date.now() + 10000;
    clearTimeout(loudAgain);
    loudAgain = setTimeout(() => accessible(document.getElementById("chatbot")), 10000);
    accessible(document.getElementById("chatbot"));
  }
  window.verbatimRepainted = () => {
    // After the screen reader has taken the repainted log in (its tree updates a frame later).
    clearTimeout(loudAgain);
    loudAgain = setTimeout(() => {
      quietUntil = 0;
      accessible(document.getElementById("chatbot"));
    }, 500);
  };
  document.addEventListener(
    "click",
    (event) => {
      if (event.target.closest && event.target.closest(SIDEBAR_ACTION) && !busy()) quiet();
    },
    true,
  );

  // -- keyboard and screen readers ------------------------------------------------------------
  // What the Articles tab says after a pick or a search, said aloud too: the "Selected: …" line
  // and the table's name ("No article title contains 'zzz'") changed where no screen reader looked.
  const heard = { picked: null, table: null };
  function sayArticlesNews() {
    const picked = document.getElementById("picked");
    const selected = picked ? picked.textContent.trim() : "";
    if (heard.picked !== null && selected !== heard.picked && selected.startsWith("Selected:")) announce(selected);
    heard.picked = selected;
    const grid = document.querySelector("#articles-table [role=grid]");
    const name = grid ? grid.getAttribute("aria-label") || "" : "";
    // Only a search's "no match": "The newest 1,000 of 2,225 articles" changes with every build
    // another program publishes, and was read out on the Chat tab too.
    if (heard.table !== null && name !== heard.table && name.startsWith("No article title contains")) announce(name);
    heard.table = name;
  }

  // What the observer keeps true after each re-render (see `observer`).
  function accessible(chat) {
    sayArticlesNews();
    // One Tab stop per radio group, on its checked option (a roving tabindex): with 30
    // conversations, reaching the chat took 32 presses of Tab.
    for (const group of document.querySelectorAll(RADIO_GROUPS.join(", "))) {
      const radios = [...group.querySelectorAll("input[type=radio]")];
      const current = radios.find((r) => r.checked) || radios[0];
      for (const r of radios) {
        const stop = r === current ? "0" : "-1";
        if (r.getAttribute("tabindex") !== stop) r.setAttribute("tabindex", stop);
      }
    }
    // A live region re-reads each streaming step from its first sentence: busy until done.
    const log = chat && (chat.querySelector("[role=log]") || chat);
    const busy = String(!!(chat && chat.querySelector(".qa-pending, .qa-streaming")));
    if (log && log.getAttribute("aria-busy") !== busy) log.setAttribute("aria-busy", busy);
    const live = Date.now() < quietUntil ? "off" : "polite"; // see `quiet`
    if (log && log.hasAttribute("aria-live") && log.getAttribute("aria-live") !== live) log.setAttribute("aria-live", live);
    // The upload's file picker offers articles only; other files dropped in are refused by
    // the server, in the same words as every other upload problem.
    const picker = document.querySelector("#upload input[type=file]");
    const accept = window.verbatimSettings.uploadTypes;
    if (picker && accept && picker.getAttribute("accept") !== accept) picker.setAttribute("accept", accept);
    // Found by axe-core 4.14 (2026-12-03): Gradio's suggested questions are a role=list of bare
    // buttons (a list without items), and its upload box's aria-label ("Click to upload or drop
    // files") is not the text it shows, so speech input's "click Click to Upload" missed it.
    const starters = document.querySelector("#chatbot .examples[role=list]");
    if (starters) {
      starters.setAttribute("role", "group");
      starters.setAttribute("aria-label", "Suggested questions");
    }
    // Gradio's radio groups are fieldsets without a legend (their label is a hidden span): a
    // screen reader entered an unnamed group of conversations or retrieval modes.
    for (const [id, name] of [["chats", "Conversations"], ["opt-mode", "Retrieval"]]) {
      const group = document.getElementById(id);
      if (group && group.getAttribute("aria-label") !== name) group.setAttribute("aria-label", name);
    }
    const drop = document.querySelector("#upload .upload-container[aria-label]");
    if (drop) drop.removeAttribute("aria-label"); // named by its own words
    // Gradio's accordion button was read "Options ▼" (its arrow is a character) and never said
    // whether it was open.
    for (const button of document.querySelectorAll(".gr-accordion > button.label-wrap")) {
      const icon = button.querySelector(".icon");
      if (icon && icon.getAttribute("aria-hidden") !== "true") icon.setAttribute("aria-hidden", "true");
      const open = String(button.classList.contains("open"));
      if (button.getAttribute("aria-expanded") !== open) button.setAttribute("aria-expanded", open);
    }
    // The text of the article selected in the Articles tab: read-only, not disabled, so that
    // a keyboard can reach and scroll it.
    const preview = document.querySelector("#article-preview textarea[disabled]");
    if (preview) {
      preview.removeAttribute("disabled");
      preview.readOnly = true;
    }
  }
  document.addEventListener("change", () => accessible(document.getElementById("chatbot")));
  // Opening or closing an accordion changes only its button's class, which the observer skips.
  document.addEventListener("click", (event) => {
    if (event.target.closest && event.target.closest(".gr-accordion > button.label-wrap")) {
      requestAnimationFrame(() => accessible(document.getElementById("chatbot")));
    }
  });

  // Focus after an action lands where the next step is; Gradio hides or disables the button
  // that had it, and the next Tab started again at the top of the page.
  function visible(element) {
    return element && element.offsetParent !== null && !element.disabled;
  }
  // `ready()`: a further condition, asked at every check; `ifLost`: only where the focus fell
  // to the page itself (the keyboard has not moved on meanwhile).
  function focusWhen(
    selector,
    { timeout = 5000, tabbable = false, shown = selector, ready = () => true, ifLost = false } = {},
  ) {
    const started = Date.now();
    const wait = setInterval(() => {
      const element = document.querySelector(selector);
      if (ready() && visible(element) && visible(document.querySelector(shown))) {
        clearInterval(wait);
        if (ifLost && document.activeElement && document.activeElement !== document.body) return;
        if (tabbable && !element.hasAttribute("tabindex")) element.setAttribute("tabindex", "-1");
        element.focus();
      } else if (Date.now() - started > timeout) {
        clearInterval(wait);
      }
    }, 50);
  }
  const QUESTION_BOX = "#q textarea";
  const SEARCH_BOX = "#article-search input, #article-search textarea";
  const AFTER_DELETE = () => focusWhen(SEARCH_BOX);
  // Cancelled, the article stays selected: back to the button that asked.
  const AFTER_CANCEL_DELETE = () => focusWhen("#delete:not([disabled])"); // off while asking
  // Rebuild stays disabled while its build runs (minutes): focus waits for it, not 5 s.
  const AFTER_REBUILD = () => focusWhen("#rebuild:not([disabled])", { timeout: 3600000 });
  const AFTER = [
    ["#send, #chatbot button.example, #undo-delete, #new-chat", () => focusWhen(QUESTION_BOX)],
    ["#delete-chat", () => focusWhen("#undo-delete")],
    // A confirmation: its question takes the focus (a screen reader reads it), then Tab to
    // Yes or Cancel; never the Yes button itself, which Enter would press.
    ["#delete", () => focusWhen("#picked", { tabbable: true, shown: "#confirm-delete" })],
    ["#confirm-delete", AFTER_DELETE],
    ["#cancel-delete", AFTER_CANCEL_DELETE],
    ["#rebuild", () => focusWhen("#rebuild-question", { tabbable: true })],
    ["#cancel-rebuild, #confirm-rebuild", AFTER_REBUILD],
  ];
  document.addEventListener("click", (event) => {
    if (!event.isTrusted || !event.target.closest) return; // not the clicks this script makes
    for (const [selector, then] of AFTER) {
      if (event.target.closest(selector)) return void setTimeout(then, 0);
    }
  });
  // An upload disables its box while it indexes (its button is taken out of the page), and the
  // focus fell to the page's top. Once the upload says what it did, the focus is there, unless
  // the keyboard has moved on meanwhile.
  document.addEventListener("change", (event) => {
    if (!event.target.closest || !event.target.closest("#upload")) return;
    const said = () => (document.querySelector("#upload-result") || {}).textContent || "";
    const picker = () => document.querySelector("#upload input[type=file]");
    const before = said();
    let away = false; // the box taken away while the upload indexes, then back: done (the same words twice too)
    const done = () => {
      away = away || !picker();
      return said() !== before || (away && picker() !== null);
    };
    // (an upload indexes for an hour at most here)
    focusWhen("#upload-result", { timeout: 3600000, tabbable: true, ready: done, ifLost: true });
  });
  // Escape closes an open confirmation, as Cancel does.
  const CONFIRMATIONS = [
    ["#confirm-delete", "#cancel-delete", AFTER_CANCEL_DELETE],
    ["#confirm-rebuild", "#cancel-rebuild", AFTER_REBUILD],
  ];
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    for (const [yes, cancel, then] of CONFIRMATIONS) {
      const button = document.querySelector(cancel);
      if (visible(document.querySelector(yes)) && visible(button)) {
        button.click();
        return void setTimeout(then, 0);
      }
    }
  });

  // -- conversations saved by another tab ------------------------------------------------------
  // They live in localStorage, which every tab shares but reads only when it loads: a tab
  // saving its own copy would drop what another tab saved since. So a tab whose copy went
  // stale reloads as soon as it is looked at or clicked again (the browser tells it through
  // the "storage" event, which only the other tabs receive).
  // A tab out of sight reloads at once (unless its own answer is on its way), so that it is
  // fresh before it is used: reloading on return, it dropped the keys typed during the reload.
  let staleConversations = false;
  window.addEventListener("storage", (event) => {
    if (event.key !== window.verbatimSettings.revisionKey) return;
    staleConversations = true;
    if (document.hidden && !answering()) reloadIfStale({ type: "storage" }, true);
  });
  const DRAFT = "verbatim-draft";
  const OPEN_CHAT = "verbatim-open-chat"; // the conversation this tab showed ("" for a new one)
  const OPTIONS = "verbatim-options";
  const field = (id) => document.querySelector(`#${id} textarea, #${id} input[type=text], #${id} input[type=number]`);
  // The Options a reload would reset. The two multi-select filters cannot be set back from
  // here; the notice says when they were in use.
  function readOptions() {
    const mode = document.querySelector("#opt-mode input:checked");
    const recent = document.querySelector("#opt-recent input");
    return {
      sentences: field("opt-sentences") && field("opt-sentences").value,
      mode: mode && mode.value,
      since: field("opt-since") && field("opt-since").value,
      until: field("opt-until") && field("opt-until").value,
      recent: !!(recent && recent.checked),
      filtered: document.querySelectorAll("#opt-publishers .token, #opt-articles .token").length > 0,
    };
  }
  function setText(input, value) {
    if (!input || value == null || input.value === value) return;
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
    input.dispatchEvent(new Event("blur"));
  }
  // Gradio renders the Options only once their accordion has been opened: open it, set them
  // back, close it again.
  function restoreOptions(options) {
    const changed =
      (options.sentences && options.sentences !== window.verbatimSettings.defaults.sentences) ||
      (options.mode && options.mode !== window.verbatimSettings.defaults.mode) ||
      options.since ||
      options.until ||
      options.recent;
    const toggle = document.querySelector("#options .label-wrap");
    if (!changed || !toggle) return;
    if (!field("opt-since")) toggle.click();
    const rendered = () =>
      field("opt-since") && field("opt-until") && field("opt-sentences") &&
      document.querySelector("#opt-mode input") && document.querySelector("#opt-recent input");
    const restored = () => {
      const now = readOptions();
      return ["sentences", "mode", "since", "until", "recent"].every((k) => options[k] == null || now[k] === options[k]);
    };
    let tries = 0;
    const wait = setInterval(() => {
      if (!rendered() && tries++ < 100) return;
      // Set again until every value reads back (the radio and checkbox render a moment later).
      if (!restored() && tries++ < 120) return void writeOptions(options);
      clearInterval(wait);
      setTimeout(() => toggle.click(), 100);
    }, 50);
  }
  function writeOptions(options) {
    setText(field("opt-sentences"), options.sentences);
    setText(field("opt-since"), options.since);
    setText(field("opt-until"), options.until);
    const mode = options.mode && document.querySelector(`#opt-mode input[value="${CSS.escape(options.mode)}"]`);
    if (mode && !mode.checked) mode.click();
    const recent = document.querySelector("#opt-recent input");
    if (recent && recent.checked !== options.recent) recent.click();
  }
  function reloadIfStale(event, unseen = false) {
    if (!staleConversations || (document.hidden && !unseen)) return;
    staleConversations = false;
    if (event && event.cancelable && event.type !== "focusin") event.preventDefault();
    const box = document.querySelector("#q textarea");
    if (box && box.value) sessionStorage.setItem(DRAFT, box.value); // a question being typed survives
    const open = document.querySelector("#chats input:checked");
    sessionStorage.setItem(OPEN_CHAT, open ? open.value : "");
    sessionStorage.setItem(OPTIONS, JSON.stringify(readOptions()));
    window.location.reload();
  }
  document.addEventListener("visibilitychange", reloadIfStale);
  window.addEventListener("focus", reloadIfStale);
  document.addEventListener("focusin", reloadIfStale, true); // before the first key is typed
  document.addEventListener("pointerdown", reloadIfStale, true);
  document.addEventListener("keydown", reloadIfStale, true);

  function afterReload() {
    const draft = sessionStorage.getItem(DRAFT);
    const openChat = sessionStorage.getItem(OPEN_CHAT);
    const options = JSON.parse(sessionStorage.getItem(OPTIONS) || "null");
    sessionStorage.removeItem(DRAFT);
    sessionStorage.removeItem(OPEN_CHAT);
    sessionStorage.removeItem(OPTIONS);
    if (openChat === null) return;
    let tries = 0;
    const restore = setInterval(() => {
      const box = document.querySelector("#q textarea");
      const checked = document.querySelector("#chats input:checked");
      const mine = openChat && document.querySelector(`#chats input[value="${CSS.escape(openChat)}"]`);
      // After the page's load event, which opens the conversation the other tab opened last:
      // decided before it (a slow server), this tab was left on that conversation, and its next
      // question went into it.
      if (!box || loading() || (openChat && !mine && tries < 100)) return void tries++;
      // The page opens the conversation the other tab opened last: this tab's comes back.
      if (mine && !mine.checked) return void mine.click();
      if (!openChat && checked && tries < 100) {
        document.getElementById("new-chat").click();
        return void tries++;
      }
      if (tries++ < 10) return; // let the page settle before the draft goes in
      clearInterval(restore);
      if (draft) setText(box, draft); // with the events that make Gradio see it
      if (options) restoreOptions(options);
      notice(
        "Updated with the conversations saved in another tab." +
          (options && options.filtered ? " The Publisher and Article filters were cleared: set them again in Options." : "")
      );
    }, 50);
  }
  function notice(text) {
    const shown = document.getElementById("qa-tab-notice");
    if (shown) shown.remove(); // one at a time: two stacked on top of each other
    const note = document.createElement("div");
    note.id = "qa-tab-notice";
    note.setAttribute("role", "status");
    note.textContent = text;
    document.body.appendChild(note);
    setTimeout(() => note.remove(), 6000);
  }
  afterReload();

  function afterLostAnswer() {
    const question = sessionStorage.getItem(UNANSWERED);
    sessionStorage.removeItem(UNANSWERED);
    if (!question) return;
    let tries = 0;
    const restore = setInterval(() => {
      const box = document.querySelector("#q textarea");
      if (!box && tries++ < 200) return;
      clearInterval(restore);
      if (!box || box.value) return; // a draft kept for another reason stays
      setText(box, question);
      notice("The page reloaded before your question was answered: it is back in the box. Press Enter to ask it.");
    }, 50);
  }
  afterLostAnswer();

  // -- articles table: full text on hover ----------------------------------------------------
  document.addEventListener("mouseover", (event) => {
    const cell = event.target.closest && event.target.closest("#articles-table [role=gridcell]");
    if (cell && !cell.title) cell.title = (cell.textContent || "").trim();
  });
})();
