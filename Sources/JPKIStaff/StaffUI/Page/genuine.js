// The staff page's 本人確認 view (the IC chip check): the customer's birth date (a date picker;
// jpkid builds the era digits), the card's expiry year and the security code go to jpkid in the
// body of one POST; the fields are cleared right after. The verdict in large type, the face to
// compare beside it, each step and the next steps. The print view leaves the photo out unless
// asked. It takes app.js's helpers (window.staffPage: elements, requests with the session's
// token) and the page's language, reads the readers from /api/state, and keeps out of app.js's
// state; app.js's "jpkid-state" event tells it when the checked card is gone or changed, and the
// result (verdict, photo, images, birth date) goes with it, as it does after an idle timeout: the
// previous customer's data never waits for the next.
"use strict";

(() => {
  const { $, el, callServer } = window.staffPage;
  const TEXT = {
    ja: {
      open: "本人確認（ＩＣチップ）",
      title: "本人確認（ＩＣチップの確認）",
      hint: "カード券面の生年月日・有効期限の年・セキュリティコードを入力します。間違えると照合番号Bの残り回数が1回減ります（形式の誤りはカードに送らず、回数は減りません）。",
      card: "カード",
      noCard: "カードが置かれていません。",
      birthDate: "生年月日",
      expiryYear: "有効期限の年（西暦4桁）",
      securityCode: "セキュリティコード（数字4桁）",
      photo: "顔写真を表示する",
      printPhoto: "印刷に顔写真を含める",
      check: "確認する",
      close: "閉じる",
      print: "印刷",
      sending: "ＩＣチップを確認しています…",
      badDate: "生年月日を選んでください（未来の日付は不可）。",
      badYear: "有効期限の年を西暦4桁で入力してください。",
      badCode: "セキュリティコードは数字4桁です。",
      verdicts: {
        genuine: "真正なカードです",
        forged: "偽造の疑い：受け付けないでください",
        key_mismatch: "検証できません：受け付けないでください",
        unknown_issuer: "発行元の鍵が不明です",
        not_checked: "確認できませんでした",
      },
      reason: "理由",
      steps: "確認した項目",
      next: "次にすること",
      compare: "券面と照合してください",
      sex: "性別",
      expiry: "有効期限",
      name: "氏名",
      address: "住所",
      code: "セキュリティコード",
      photoLabel: "顔写真",
      photoNote: "顔写真はＪＰＥＧ ２０００形式です。このブラウザで表示できない場合はカード券面の写真と照合してください。",
      sexes: { 1: "男", 2: "女", 9: "適用不能", 0: "不明" },
      results: { passed: "合格", failed: "不合格", unknown_issuer: "鍵が不明", not_checked: "未確認", not_applicable: "対象外" },
      stepNames: {
        "card-face-cvc": "カードの証明書（Ｊ－ＬＩＳの鍵）",
        "card-face-signature": "券面データの署名",
        "rendered-my-number": "個人番号画像の署名",
        "age-record": "生年月日記録の署名",
        "card-face-challenge": "ＩＣチップの応答（複製でないこと）",
      },
    },
    en: {
      open: "ID check (IC chip)",
      title: "ID check (IC chip)",
      hint: "Enter the birth date, the card's expiry year and the security code printed on the card. A wrong code costs one try of 照合番号B (a malformed one is not sent and costs nothing).",
      card: "Card",
      noCard: "No card on the reader.",
      birthDate: "Birth date",
      expiryYear: "Expiry year (4 digits)",
      securityCode: "Security code (4 digits)",
      photo: "Show the face photo",
      printPhoto: "Include the photo when printing",
      check: "Check",
      close: "Close",
      print: "Print",
      sending: "Checking the IC chip…",
      badDate: "Pick the birth date (not in the future).",
      badYear: "Enter the expiry year as 4 digits.",
      badCode: "The security code is 4 digits.",
      verdicts: {
        genuine: "Genuine card",
        forged: "Suspected forgery: do not accept",
        key_mismatch: "Cannot be verified: do not accept",
        unknown_issuer: "Unknown issuer key",
        not_checked: "Could not be checked",
      },
      reason: "Reason",
      steps: "Steps",
      next: "Next steps",
      compare: "Compare with the card",
      sex: "Sex",
      expiry: "Expires",
      name: "Name",
      address: "Address",
      code: "Security code",
      photoLabel: "Face photo",
      photoNote: "The photo is JPEG 2000; where this browser cannot show it, compare with the photo on the card.",
      sexes: { 1: "male", 2: "female", 9: "not applicable", 0: "not known" },
      results: { passed: "passed", failed: "failed", unknown_issuer: "unknown key", not_checked: "not checked", not_applicable: "not applicable" },
      stepNames: {
        "card-face-cvc": "Card certificate (J-LIS key)",
        "card-face-signature": "Signature over the card face",
        "rendered-my-number": "Signature over the my number image",
        "age-record": "Signature over the birth date record",
        "card-face-challenge": "The chip's answer (not a copy)",
      },
    },
  };
  const lang = () => (document.documentElement.lang === "en" ? "en" : "ja");
  const tx = (key) => TEXT[lang()][key];
  let target = null;
  let last = null;
  let idleTimer = null;
  // How long a result stays on screen untouched (window.jpkidGenuineIdleMs: tests shorten it).
  const idleMs = () => Number(window.jpkidGenuineIdleMs) || 3 * 60 * 1000;
  let shownLang = null;

  function build() {
    const openButton = el("button", { type: "button", id: "genuine-open", class: "no-print" });
    openButton.addEventListener("click", open);
    document.querySelector(".tools").prepend(openButton);
    const view = el(
      "section",
      { id: "genuine", class: "genuine", hidden: true, "aria-labelledby": "genuine-title" },
      el("h2", { id: "genuine-title" }),
      el("p", { id: "genuine-card", class: "genuine-card" }),
      el(
        "form",
        { id: "genuine-form", class: "genuine-form no-print", novalidate: true },
        el("p", { id: "genuine-hint", class: "hint" }),
        el("label", { for: "genuine-birth", id: "genuine-birth-label" }),
        el("input", { type: "date", id: "genuine-birth", autocomplete: "off", min: "1900-01-01" }),
        el("label", { for: "genuine-year", id: "genuine-year-label" }),
        el("input", { type: "text", id: "genuine-year", inputmode: "numeric", maxlength: "4", autocomplete: "off", spellcheck: "false" }),
        el("label", { for: "genuine-code", id: "genuine-code-label" }),
        el("input", { type: "password", id: "genuine-code", inputmode: "numeric", maxlength: "4", autocomplete: "off" }),
        el("label", { class: "check" }, el("input", { type: "checkbox", id: "genuine-photo" }), el("span", { id: "genuine-photo-label" })),
        el("label", { class: "check" }, el("input", { type: "checkbox", id: "genuine-print-photo" }), el("span", { id: "genuine-print-photo-label" })),
        el(
          "div",
          { class: "buttons" },
          el("button", { type: "submit", id: "genuine-go" }),
          el("button", { type: "button", id: "genuine-print" }),
          el("button", { type: "button", id: "genuine-close" }),
        ),
      ),
      el("p", { id: "genuine-status", class: "result", role: "status", "aria-live": "assertive" }),
      el("div", { id: "genuine-result", "aria-live": "polite" }),
    );
    $("main").prepend(view);
    $("genuine-form").addEventListener("submit", (event) => {
      event.preventDefault();
      send();
    });
    $("genuine-close").addEventListener("click", close);
    $("genuine-print").addEventListener("click", () => window.print());
    $("genuine-print-photo").addEventListener("change", () => {
      $("genuine").classList.toggle("print-photo", $("genuine-print-photo").checked);
    });
    // app.js sets the page's lang on every redraw: follow it only when it changes.
    document.addEventListener("jpkid-state", (event) => followCard(event.detail));
    for (const type of ["click", "keydown"]) {
      $("genuine").addEventListener(type, () => {
        if (last) armIdle();
      });
    }
    new MutationObserver(() => {
      if (lang() !== shownLang) chrome();
    }).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
    chrome();
  }

  function chrome() {
    shownLang = lang();
    $("genuine-open").textContent = tx("open");
    $("genuine-title").textContent = tx("title");
    $("genuine-hint").textContent = tx("hint");
    $("genuine-birth-label").textContent = tx("birthDate");
    $("genuine-year-label").textContent = tx("expiryYear");
    $("genuine-code-label").textContent = tx("securityCode");
    $("genuine-photo-label").textContent = tx("photo");
    $("genuine-print-photo-label").textContent = tx("printPhoto");
    $("genuine-go").textContent = tx("check");
    $("genuine-print").textContent = tx("print");
    $("genuine-close").textContent = tx("close");
    $("genuine-birth").max = new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Tokyo" });
    if (target) $("genuine-card").textContent = `${tx("card")}: ${target.cardId}`;
    if (last) showResult(last);
  }

  async function open() {
    $("genuine").hidden = false;
    document.body.classList.add("genuine-mode");
    clearResult();
    target = null;
    try {
      const response = await callServer(`/api/state?lang=${lang()}`);
      const state = await response.json();
      const reader = (state.readers || []).find((r) => r.card && r.card.cardId);
      if (reader) target = { reader: reader.id, cardId: reader.card.cardId };
    } catch (e) {
      target = null;
    }
    $("genuine-card").textContent = target ? `${tx("card")}: ${target.cardId}` : tx("noCard");
    $("genuine-go").disabled = !target;
    $("genuine-birth").focus();
  }

  function clearFields() {
    for (const id of ["genuine-birth", "genuine-year", "genuine-code"]) $(id).value = "";
  }

  // The result, the message and the fields go; nothing of this customer stays on the page.
  function clearResult() {
    clearFields();
    clearTimeout(idleTimer);
    idleTimer = null;
    last = null;
    $("genuine-result").replaceChildren();
    $("genuine-status").textContent = "";
    $("genuine-status").dataset.code = "";
  }

  function armIdle() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(clearResult, idleMs());
  }

  // /api/state as app.js drew it: when the card checked (or about to be) is no longer on its
  // reader, or another card is, the result is about someone else.
  function followCard(state) {
    if (!target || !state || !Array.isArray(state.readers)) return;
    const here = state.readers.some((r) => r.id === target.reader && r.card && r.card.cardId === target.cardId);
    if (here) return;
    clearResult();
    target = null;
    $("genuine-card").textContent = tx("noCard");
    $("genuine-go").disabled = true;
  }

  function close() {
    clearResult();
    $("genuine").hidden = true;
    document.body.classList.remove("genuine-mode");
  }

  // The format checks jpkid makes too, here so that a slip never costs a try.
  function localProblem(birth, year, code) {
    const today = new Date().toLocaleDateString("sv-SE", { timeZone: "Asia/Tokyo" });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(birth) || birth > today || birth < "1900-01-01") return tx("badDate");
    const thisYear = Number(today.slice(0, 4));
    if (!/^\d{4}$/.test(year) || Number(year) < thisYear - 1 || Number(year) > thisYear + 11) return tx("badYear");
    if (!/^\d{4}$/.test(code)) return tx("badCode");
    return null;
  }

  async function send() {
    if (!target) return;
    const birth = $("genuine-birth").value;
    const year = $("genuine-year").value.trim();
    const code = $("genuine-code").value;
    const problem = localProblem(birth, year, code);
    const status = $("genuine-status");
    status.dataset.code = problem ? "local_format" : "";
    if (problem) {
      status.textContent = problem;
      return;
    }
    status.textContent = tx("sending");
    $("genuine-go").disabled = true;
    const checking = target;
    const body = JSON.stringify({
      birthDate: birth, expiryYear: Number(year), securityCode: code, cardId: target.cardId,
      photo: $("genuine-photo").checked,
    });
    $("genuine-code").value = "";
    let answer;
    try {
      const response = await callServer(`/api/readers/${target.reader}/card-face/check?lang=${lang()}`, body);
      answer = await response.json();
    } catch (e) {
      answer = { status: 0, code: "jpkid_unreachable" };
    }
    $("genuine-go").disabled = false;
    clearFields();
    if (answer.check) {
      // The card went (or changed) while the check ran: its answer is not shown.
      if (target !== checking) return;
      status.textContent = "";
      status.dataset.code = answer.code;
      last = { ...answer.check, cardId: checking.cardId };
      showResult(last);
      armIdle();
    } else {
      status.dataset.code = answer.code;
      status.textContent = answer.message ? `${answer.message.message} ${answer.message.next}` : answer.code;
    }
  }

  function image(kind, base64, label) {
    if (!base64) return null;
    return el("figure", { class: `genuine-image genuine-${kind}` }, el("img", { src: `data:image/png;base64,${base64}`, alt: label }), el("figcaption", { text: label }));
  }

  function showResult(check) {
    const t = TEXT[lang()];
    const verdict = el("p", { id: "genuine-verdict", class: `verdict verdict-${check.verdict}`, "data-verdict": check.verdict, text: t.verdicts[check.verdict] || check.verdict });
    const steps = el(
      "ul",
      { class: "genuine-steps" },
      check.steps.map((s) => el("li", { "data-step": s.step, "data-result": s.result }, `${t.stepNames[s.step] || s.step}: `, el("strong", { text: t.results[s.result] || s.result }))),
    );
    const next = el("section", { class: "genuine-next" }, el("h3", { text: t.next }), el("p", { id: "genuine-next", text: check.nextSteps[lang()] }));
    // Which card this is about: the checked card's id (short), beside the verdict.
    const checked = el("p", { id: "genuine-checked", class: "genuine-checked", "data-card-id": check.cardId, text: `${t.card}: ${String(check.cardId || "").slice(0, 12)}` });
    const left = el("div", { class: "genuine-verdict-column" }, verdict, checked);
    if (check.reason) {
      // jpkid words its reason in English; in Japanese the step that decided it says the same.
      const step = check.steps.find((s) => s.result !== "passed" && s.result !== "not_applicable");
      const words = lang() === "en" || !step ? check.reason : `${t.stepNames[step.step] || step.step}: ${t.results[step.result]}`;
      left.append(el("p", { class: "genuine-reason" }, `${t.reason}: ${words}`));
    }
    left.append(next, el("h3", { text: t.steps }), steps);
    const face = check.face;
    const right = el("div", { class: "genuine-face" });
    if (face) {
      right.append(el("h3", { text: t.compare }));
      if (face.photo) {
        right.append(
          el(
            "figure",
            { class: "genuine-image genuine-photo" },
            el("img", { src: `data:image/jp2;base64,${face.photo}`, alt: t.photoLabel }),
            el("figcaption", { text: `${t.photoLabel} — ${t.photoNote}` }),
          ),
        );
      }
      right.append(image("name", face.nameImage, t.name), image("address", face.addressImage, t.address));
      const born = face.birthDate && face.birthDate.length === 8 ? `${face.birthDate.slice(0, 4)}-${face.birthDate.slice(4, 6)}-${face.birthDate.slice(6)}` : face.birthDate;
      const expiry = face.expiry && face.expiry.length === 8 ? `${face.expiry.slice(0, 4)}-${face.expiry.slice(4, 6)}-${face.expiry.slice(6)}` : face.expiry;
      right.append(
        el(
          "dl",
          { class: "genuine-facts" },
          el("dt", { text: t.birthDate }), el("dd", { id: "genuine-born", text: born }),
          el("dt", { text: t.sex }), el("dd", { text: face.sex ? (t.sexes[face.sex.code] || face.sex.name) : "" }),
          el("dt", { text: t.expiry }), el("dd", { text: expiry || "" }),
        ),
        image("code", face.securityCodeImage, t.code),
      );
    }
    $("genuine-result").replaceChildren(el("div", { class: "genuine-layout" }, left, right));
  }

  build();
})();
