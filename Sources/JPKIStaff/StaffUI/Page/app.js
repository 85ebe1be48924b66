// The staff page: draws what /api/state says (the words and the next steps come from the same
// rules as `jpkictl diagnose`, computed by the ui server) and redraws on every event from
// jpkid's stream. Only the page's own labels live here. The PIN leaves the page only in the
// body of the verify POST; the field is cleared right after.
"use strict";

const token = document.querySelector('meta[name="staff-token"]').content;
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// A request to the ui server with the session's CSRF token, never cached; a `body` (JSON text)
// makes it a POST.
function callServer(path, body) {
  const init = { headers: { "X-Staff-Token": token }, cache: "no-store" };
  if (body !== undefined) {
    init.method = "POST";
    init.headers["Content-Type"] = "application/json";
    init.body = body;
  }
  return fetch(path, init);
}

// What genuine.js uses of this file (it runs after it: both are deferred, in page order).
window.staffPage = Object.freeze({ $, el, callServer });

const TEXT = {
  ja: {
    title: "マイナンバーカードの状態",
    print: "印刷（本人控え）",
    printNote: "この控えには暗証番号・氏名・住所などの個人情報は含まれていません。",
    printed: "印刷日時",
    verifyTitle: "暗証番号の確認（職員用）",
    cardIdLabel: "カード識別番号",
    verifyHint: "本人に入力してもらってください。間違えると残り回数が1回減ります。",
    pinKind: "暗証番号の種類",
    pinLabel: "暗証番号",
    finalTitle: "残り1回です。間違えるとロックされます。",
    finalBody: "ロックされると市区町村の窓口での再設定が必要です。本人が確実に覚えている場合だけ続けてください。",
    finalCheck: "本人が暗証番号を確実に覚えていることを確認しました",
    finalGo: "最後の1回として入力する",
    verifyGo: "確認する",
    close: "閉じる",
    verifyOpen: "暗証番号を確認する（職員用）",
    pins: "暗証番号（残り回数）",
    pin: "暗証番号",
    state: "状態",
    certificates: "電子証明書",
    certificate: "証明書",
    expiry: "有効期限",
    renewable: "更新できる期間の開始日",
    status: "状態",
    trust: "発行元の確認",
    notApplicable: "対象外（本人の更新は不要）",
    next: "次にすること",
    noProblems: "問題は見つかりませんでした。",
    problem: "要対応",
    warning: "注意",
    info: "お知らせ",
    blocked: "ロック中",
    lastTry: "残り1回",
    reader: "カードリーダー",
    live: "自動更新中",
    offline: "接続を待っています…",
    enterPin: "暗証番号を入力してください。",
    sending: "確認しています…",
    tries: "残り回数",
    switchLang: "Switch to English",
    switchText: "English",
    switchLangCode: "en",
    daysLeft: (n) => `あと${n}日`,
  },
  en: {
    title: "My Number card status",
    print: "Print (citizen's copy)",
    printNote: "This copy holds no PIN and no personal data (name, address, ...).",
    printed: "Printed",
    verifyTitle: "Verify a PIN (staff)",
    cardIdLabel: "Card ID",
    verifyHint: "Let the citizen type the PIN. A wrong PIN costs one try.",
    pinKind: "PIN",
    pinLabel: "PIN",
    finalTitle: "One try left: a wrong PIN blocks it.",
    finalBody: "A blocked PIN must be reset at the municipal office. Only go on if the citizen is certain.",
    finalCheck: "The citizen is certain of this PIN",
    finalGo: "Use the last try",
    verifyGo: "Verify",
    close: "Close",
    verifyOpen: "Verify a PIN (staff)",
    pins: "PINs (tries left)",
    pin: "PIN",
    state: "State",
    certificates: "Certificates",
    certificate: "Certificate",
    expiry: "Expires",
    renewable: "Renewal window opens",
    status: "Status",
    trust: "Issuer check",
    notApplicable: "not applicable (citizens do not renew it)",
    next: "What to do next",
    noProblems: "No problems found.",
    problem: "Action needed",
    warning: "Warning",
    info: "Note",
    blocked: "BLOCKED",
    lastTry: "last try",
    reader: "Card reader",
    live: "Live",
    offline: "Waiting for the connection…",
    enterPin: "Enter the PIN.",
    sending: "Checking…",
    tries: "Tries left",
    switchLang: "日本語に切り替え",
    switchText: "日本語",
    switchLangCode: "ja",
    daysLeft: (n) => `${n} days left`,
  },
};

let lang = localStorage.getItem("jpki-staff-lang") === "en" ? "en" : "ja";
let state = null;
let dialogCard = null;
const tx = (key) => TEXT[lang][key];

function applyChrome() {
  document.documentElement.lang = lang;
  document.title = tx("title");
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = tx(node.dataset.i18n);
  const button = $("lang");
  button.textContent = tx("switchText");
  button.setAttribute("lang", tx("switchLangCode"));
  button.setAttribute("aria-label", tx("switchLang"));
  const time = new Date().toLocaleString(lang === "ja" ? "ja-JP" : "en-GB", { timeZone: "Asia/Tokyo" });
  $("printed").textContent = `${tx("printed")}: ${time}`;
}

function pips(pin) {
  if (!pin.available || pin.remaining === null || pin.remaining === undefined) return "";
  // PIN A and PIN B: no known maximum, so only the tries left.
  if (pin.max === null || pin.max === undefined) return "●".repeat(Math.min(pin.remaining, 16));
  return "●".repeat(pin.remaining) + "○".repeat(Math.max(0, pin.max - pin.remaining));
}

function pinRow(pin) {
  const last = !pin.blocked && pin.available && pin.remaining === 1;
  const row = el("tr", {
    class: `pin ${pin.blocked ? "blocked" : ""} ${last ? "last" : ""}`.trim(),
    "data-kind": pin.kind,
    "data-remaining": pin.remaining ?? "",
    "data-blocked": String(pin.blocked),
  });
  const stateCell = el("td", { class: "state" }, el("span", { class: "pips", "aria-hidden": "true", text: pips(pin) }));
  // Blocked: red and in words (the label says so), never colour alone.
  stateCell.append(el("span", { class: pin.blocked ? "label badge bad" : "label", text: pin.stateLabel }));
  row.append(el("th", { scope: "row", text: pin.name }), stateCell);
  return row;
}

function certificateRow(cert) {
  const badge = cert.status === "expired" ? "bad" : cert.status === "valid" ? "ok" : "warn";
  return el(
    "tr",
    { class: "certificate", "data-slot": cert.slot, "data-status": cert.status },
    el("th", { scope: "row", text: cert.name }),
    el(
      "td",
      { class: "expiry" },
      el("span", { class: "date", text: cert.expiryDate }),
      el("br"),
      el("small", { text: tx("daysLeft")(cert.daysUntilExpiry) }),
    ),
    el("td", { class: "renewable" }, cert.renewableFrom ? el("span", { class: "date", text: cert.renewableFrom }) : tx("notApplicable")),
    el("td", { class: "status" }, el("span", { class: `badge ${badge}`, text: cert.statusLabel })),
    el("td", { class: "trust" }, cert.trustLabel ?? "—"),
  );
}

function nextSteps(card) {
  const section = el("section", { class: "next", "aria-labelledby": `next-${card.cardId}` });
  section.append(el("h3", { id: `next-${card.cardId}`, text: tx("next") }));
  if (card.findings.length === 0) {
    section.append(el("p", { class: "none", text: tx("noProblems") }));
    return section;
  }
  const list = el("ol");
  for (const finding of card.findings) {
    const badge = { problem: "bad", warning: "warn", info: "info" }[finding.severity] || "info";
    list.append(
      el(
        "li",
        { class: `finding ${finding.severity}` },
        el("span", { class: `badge ${badge}`, text: tx(finding.severity) || finding.severity }),
        " ",
        finding.summary,
        finding.actions.length ? el("ul", {}, finding.actions.map((a) => el("li", { text: a }))) : null,
      ),
    );
  }
  section.append(list);
  return section;
}

function messageBlock(message) {
  return el(
    "div",
    { class: "problem", "data-code": message.code },
    el("strong", { text: message.message }),
    el("p", { class: "msg-next", text: message.next }),
  );
}

function readerBlock(reader) {
  const block = el("article", {
    // An empty reader is not printed: the citizen's copy is about their card.
    class: reader.card ? "reader" : "reader no-print",
    "data-reader": reader.id,
    "data-state": reader.state,
    "data-kind": reader.card ? reader.card.kind : "",
  });
  const head = el(
    "div",
    { class: "reader-head" },
    el("h2", { text: reader.card ? reader.card.kindLabel : reader.stateLabel }),
    el("span", { class: "meta" }, `${tx("reader")}: ${reader.name}`, " · ", reader.stateLabel),
  );
  block.append(head);
  if (reader.problem) block.append(messageBlock(reader.problem));
  const card = reader.card;
  if (!card) return block;
  head.append(el("span", { class: "cardid" }, `${tx("cardIdLabel")}: ${card.cardId}`));
  const pinTable = el(
    "table",
    { class: "pins" },
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: tx("pin") }), el("th", { scope: "col", text: tx("state") }))),
    el("tbody", {}, card.pins.map(pinRow)),
  );
  const certTable = el(
    "table",
    { class: "certificates" },
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        ["certificate", "expiry", "renewable", "status", "trust"].map((k) => el("th", { scope: "col", text: tx(k) })),
      ),
    ),
    el("tbody", {}, card.certificates.map(certificateRow)),
  );
  const layout = el("div", { class: card.pins.length ? "layout" : "" });
  if (card.pins.length) layout.append(el("section", { class: "pin-list" }, el("h3", { text: tx("pins") }), pinTable));
  layout.append(nextSteps(card));
  if (card.certificates.length) {
    layout.append(el("section", { class: "span" }, el("h3", { text: tx("certificates") }), certTable));
  }
  block.append(layout);
  if (card.pins.some((p) => p.available && !p.blocked)) {
    const open = el("button", { type: "button", class: "verify-open", text: tx("verifyOpen") });
    open.addEventListener("click", () => openVerify(reader, card));
    head.append(el("div", { class: "card-actions" }, open));
  }
  return block;
}

function render() {
  applyChrome();
  const readers = $("readers");
  const problem = $("problem");
  if (!state) return;
  problem.hidden = !state.problem;
  problem.replaceChildren(...(state.problem ? [messageBlock(state.problem)] : []));
  readers.replaceChildren(...state.readers.map(readerBlock));
  if ($("verify").open) refreshDialog();
  // Other views (genuine.js) follow the cards through this event, not through app.js's globals.
  document.dispatchEvent(new CustomEvent("jpkid-state", { detail: state }));
}

let fetching = null;
let again = false;
async function refresh() {
  if (fetching) {
    again = true;
    return fetching;
  }
  fetching = (async () => {
    try {
      const response = await callServer(`/api/state?lang=${lang}`);
      if (response.ok) state = await response.json();
    } catch (e) {
      state = null;
    }
    render();
  })();
  await fetching;
  fetching = null;
  if (again) {
    again = false;
    await refresh();
  }
}

let events = null;
function connect() {
  events = new EventSource("/api/events"); // the session cookie authorises it
  events.addEventListener("open", () => {
    $("connection").textContent = tx("live");
    refresh();
  });
  const types = [
    "reader-added", "reader-removed", "card-inserted", "card-ready", "card-removed", "card-error",
    "pin-verified", "pin-failed", "pin-blocked", "pcsc-unavailable", "pcsc-restored", "overflow",
    "unreachable", "refused", "message",
  ];
  for (const type of types) events.addEventListener(type, () => refresh());
  events.addEventListener("error", () => {
    $("connection").textContent = tx("offline");
    if (events.readyState === EventSource.CLOSED) {
      setTimeout(connect, 2000);
    }
    refresh();
  });
}

// The verify dialog.
function currentCard() {
  if (!state || !dialogCard) return null;
  for (const reader of state.readers) {
    if (reader.id === dialogCard.reader && reader.card && reader.card.cardId === dialogCard.cardId) return reader.card;
  }
  return null;
}

function openVerify(reader, card) {
  dialogCard = { reader: reader.id, cardId: card.cardId };
  const select = $("verify-kind");
  select.replaceChildren(
    ...card.pins.filter((p) => p.available && !p.blocked).map((p) => el("option", { value: p.kind, text: p.name })),
  );
  $("verify-card").textContent = card.cardId;
  $("verify-pin").value = "";
  $("verify-result").textContent = "";
  $("verify-result").className = "result";
  resetFinal();
  refreshDialog();
  $("verify").showModal();
  $("verify-pin").focus();
}

function selectedPin() {
  const card = currentCard();
  return card ? card.pins.find((p) => p.kind === $("verify-kind").value) : null;
}

function refreshDialog() {
  const pin = selectedPin();
  $("verify-tries").textContent = pin ? `${tx("tries")}: ${pips(pin)} ${pin.stateLabel}` : "";
  $("verify-go").disabled = !pin || pin.blocked;
}

function resetFinal() {
  $("final").hidden = true;
  $("final-check").checked = false;
  $("final-go").disabled = true;
}

async function sendVerify(confirmFinal) {
  const pin = selectedPin();
  const input = $("verify-pin");
  const result = $("verify-result");
  if (!pin) return;
  if (!input.value) {
    result.textContent = tx("enterPin");
    result.className = "result bad";
    return;
  }
  if (pin.remaining === 1 && !confirmFinal) {
    $("final").hidden = false;
    $("final-check").focus();
    return;
  }
  const body = JSON.stringify({ pin: input.value, cardId: dialogCard.cardId, confirmFinalAttempt: confirmFinal || undefined });
  input.value = "";
  resetFinal();
  result.textContent = tx("sending");
  result.className = "result";
  let answer;
  try {
    const response = await callServer(`/api/readers/${dialogCard.reader}/pins/${pin.kind}/verify?lang=${lang}`, body);
    answer = await response.json();
  } catch (e) {
    answer = null;
  }
  if (!answer) {
    result.textContent = tx("offline");
    result.className = "result bad";
  } else {
    result.textContent = `${answer.message.message} ${answer.message.next}`;
    result.className = answer.code === "verified" ? "result ok" : "result bad";
    result.dataset.code = answer.code;
    if (answer.code === "final_attempt") $("final").hidden = false;
  }
  await refresh();
}

function setup() {
  applyChrome();
  $("lang").addEventListener("click", () => {
    lang = lang === "ja" ? "en" : "ja";
    localStorage.setItem("jpki-staff-lang", lang);
    refresh();
  });
  $("print").addEventListener("click", () => window.print());
  $("verify-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sendVerify(false);
  });
  $("verify-kind").addEventListener("change", () => {
    resetFinal();
    refreshDialog();
  });
  $("final-check").addEventListener("change", () => {
    $("final-go").disabled = !$("final-check").checked;
  });
  $("final-go").addEventListener("click", () => sendVerify(true));
  $("verify-close").addEventListener("click", () => {
    $("verify-pin").value = "";
    $("verify").close();
  });
  $("verify").addEventListener("close", () => {
    $("verify-pin").value = "";
    dialogCard = null;
  });
  refresh();
  connect();
}

setup();
