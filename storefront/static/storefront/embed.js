/* Flywheel storefront widget: <script src="https://loyalty.example.com/embed.js" data-key="pk_…" async>
   A launcher and panel (points, tier, ways to earn, rewards, vouchers, referral, history), quizzes
   in <div data-flywheel-quiz="slug" [data-mode="modal"]>, and the ?ref=CODE landing. Everything
   renders in shadow roots, so the shop's CSS and ours never meet. Every word comes from the
   server (the bootstrap's `strings`, translated there). Plain modern JavaScript, no build step. */
(() => {
  "use strict";
  const script = document.currentScript;
  if (!script || window.FlywheelWidget) return;
  const CSS = /*__CSS__*/"";
  const data = script.dataset;
  const base = new URL(script.src).origin;
  const tokenKey = `flywheel:${data.key}:shopper`;
  const lang = document.documentElement.lang || navigator.language || "";
  const state = { token: null, boot: null, open: false, notice: null };
  let sheet;

  /* ---------- helpers ---------- */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value == null || value === false) continue;
      if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
      else if (name === "class") el.className = value;
      else el.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child != null && child !== false) el.append(child.nodeType ? child : String(child));
    }
    return el;
  }
  // Numbers as the words' language writes them (Persian digits, Turkish 1.240); dates come
  // from the server written the same way (a Solar Hijri date in Persian).
  const number = (n, signed) => new Intl.NumberFormat(state.boot.language || undefined,
    signed ? { signDisplay: "exceptZero" } : {}).format(n);
  const t = (name, values) => {
    let text = (state.boot && state.boot.strings[name]) || name;
    for (const [k, v] of Object.entries(values || {})) text = text.replace(`%(${k})s`, v);
    return text;
  };
  async function api(path, { method = "GET", body } = {}) {
    const headers = { Authorization: `Bearer ${data.key}`, Accept: "application/json" };
    if (lang) headers["Accept-Language"] = lang;
    if (body) headers["Content-Type"] = "application/json";
    if (state.token) headers["X-Flywheel-Shopper"] = state.token;
    const response = await fetch(`${base}/api/v1/storefront/${path}`, {
      method, headers, body: body ? JSON.stringify(body) : undefined, credentials: "omit",
    });
    const json = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error((json.error && json.error.message) || response.statusText);
      error.code = json.error && json.error.code;
      throw error;
    }
    return json;
  }
  // Styles in constructed sheets (no inline <style>, so a shop's CSP needn't allow it). The
  // admin's theme is a :host rule, so the shop's own CSS (#flywheel-widget { --fw-accent: … })
  // still wins over it.
  function root(host) {
    const shadow = host.attachShadow({ mode: "open" });
    if (!sheet) {
      const th = state.boot.theme;
      const themeSheet = new CSSStyleSheet();
      themeSheet.replaceSync(`:host{--fw-accent:${th.accent};--fw-text:${th.text};` +
        `--fw-bg:${th.background};${th.font ? `--fw-font:${th.font};` : ""}}`);
      sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      sheet = [sheet, themeSheet];
    }
    shadow.adoptedStyleSheets = sheet;
    return shadow;
  }
  function copyButton(value) {
    const button = h("button", { type: "button", class: "secondary" }, t("copy"));
    button.addEventListener("click", async () => {
      try { await navigator.clipboard.writeText(value); } catch { /* the field stays selectable */ }
      button.textContent = t("copied");
      setTimeout(() => { button.textContent = t("copy"); }, 2000);
    });
    return button;
  }
  const codeField = (value, label) => h("div", { class: "code" },
    h("input", { readonly: true, value, "aria-label": label, class: "code-value" }), copyButton(value));
  // A usable voucher whose code is not in the shop's checkout yet says so (synced: nothing).
  const syncNote = (v) => v.status === "issued" && (v.sync === "pending" || v.sync === "failed")
    ? h("p", { class: `sync sync-${v.sync}` }, t(`sync_${v.sync}`)) : null;

  /* ---------- the shopper: the shop's signature, exchanged once for a token ---------- */
  async function signIn() {
    if (!data.signature) {
      localStorage.removeItem(tokenKey);
      return;
    }
    try {
      const kept = JSON.parse(localStorage.getItem(tokenKey) || "null");
      if (kept && kept.customer === data.customerId && Date.parse(kept.expires) > Date.now() + 60000) {
        state.token = kept.token;
        return;
      }
    } catch { /* unreadable: exchange again */ }
    try {
      const session = await api("session/", { method: "POST", body: {
        customer_id: data.customerId, email: data.email, timestamp: Number(data.timestamp),
        signature: data.signature } });
      state.token = session.token;
      localStorage.setItem(tokenKey, JSON.stringify({
        token: session.token, expires: session.expires_at, customer: data.customerId }));
    } catch {
      // Another tab of the same page may have exchanged this very signature a moment ago.
      const kept = JSON.parse(localStorage.getItem(tokenKey) || "null");
      state.token = kept && kept.customer === data.customerId ? kept.token : null;
    }
  }

  async function load() {
    try {
      state.boot = await api("bootstrap/");
    } catch (error) {
      if (state.token && error.code && error.code.startsWith("shopper")) {
        state.token = null;
        localStorage.removeItem(tokenKey);
        state.boot = await api("bootstrap/");
      } else throw error;
    }
  }

  /* ---------- launcher and panel ---------- */
  let host, shadow, launcher, panel;
  function mountLauncher() {
    host = h("div", { id: "flywheel-widget" });
    shadow = root(host);
    launcher = h("button", {
      type: "button", class: `launcher ${state.boot.theme.position}`, "aria-expanded": "false",
      "aria-controls": "fw-panel", onclick: () => toggle(),
    }, h("span", {}, state.boot.theme.launcher_text));
    panel = h("div", { id: "fw-panel", class: `panel ${state.boot.theme.position}`, role: "dialog",
      "aria-labelledby": "fw-title", hidden: true });
    panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape") toggle(false);
    });
    shadow.append(launcher, panel);
    document.body.append(host);
    renderLauncher();
  }
  function renderLauncher() {
    const shopper = state.boot.shopper;
    launcher.replaceChildren(h("span", {}, state.boot.theme.launcher_text));
    if (shopper) launcher.append(h("span", { class: "badge" }, number(shopper.balance)));
    launcher.setAttribute("aria-label", shopper
      ? `${state.boot.theme.launcher_text}: ${number(shopper.balance)} ${t("available")}`
      : state.boot.theme.launcher_text);
  }
  function toggle(open = !state.open) {
    state.open = open;
    launcher.setAttribute("aria-expanded", String(open));
    panel.hidden = !open;
    if (open) {
      renderPanel();
      panel.querySelector("h2").focus();
    } else launcher.focus();
  }
  function section(title, ...content) {
    const id = `fw-${title.replace(/\W+/g, "-").toLowerCase()}`;
    return h("section", { "aria-labelledby": id }, h("h3", { id }, title), ...content);
  }
  function waysToEarn() {
    const ways = state.boot.program.ways_to_earn;
    if (!ways.length) return null;
    return section(t("ways_to_earn"), h("ul", { class: "list" },
      ways.map((way) => h("li", {}, h("strong", {}, way.title), h("span", {}, way.earns)))));
  }
  function rewards(shopper) {
    const items = state.boot.program.rewards.map((reward) => {
      const row = h("li", { class: "reward" }, h("div", {}, h("strong", {}, reward.name),
        h("span", {}, t("points_cost", { points: number(reward.cost) }))));
      if (shopper) {
        if (shopper.balance >= reward.cost) {
          row.append(h("button", { type: "button", onclick: () => confirmRedeem(row, reward) },
            t("redeem"), h("span", { class: "sr-only" }, ` ${reward.name}`)));
        } else {
          row.append(h("span", { class: "muted" },
            t("not_enough", { points: number(reward.cost - shopper.balance) })));
        }
      }
      return row;
    });
    return section(t("rewards"), h("ul", { class: "list" }, items));
  }
  function confirmRedeem(row, reward) {
    const question = h("p", {}, t("redeem_confirm", { points: number(reward.cost), reward: reward.name }));
    const yes = h("button", { type: "button", onclick: () => redeem(box, reward) }, t("confirm"));
    const no = h("button", { type: "button", class: "secondary",
      onclick: () => { box.remove(); row.querySelector("button").focus(); } }, t("cancel"));
    const box = h("div", { class: "confirm", role: "group" }, question, yes, no);
    row.after(box);
    yes.focus();
  }
  async function redeem(box, reward) {
    box.replaceChildren(h("p", { role: "status" }, t("loading")));
    try {
      const voucher = await api("redemptions/", { method: "POST", body: {
        reward_id: reward.id, key: `${reward.id}:${Date.now()}` } });
      state.notice = voucher;
      await load();
      renderLauncher();
      renderPanel();
      panel.querySelector(".notice .code-value").focus();
    } catch (error) {
      box.replaceChildren(h("p", { role: "alert", class: "error" }, error.message || t("error")));
    }
  }
  function summary(shopper) {
    const tier = shopper.tier ? shopper.tier.name : t("no_tier");
    const parts = [h("dl", { class: "points" },
      h("div", {}, h("dt", {}, t("available")), h("dd", { class: "balance" }, number(shopper.balance))),
      h("div", {}, h("dt", {}, t("pending")), h("dd", {}, number(shopper.pending))),
      h("div", {}, h("dt", {}, t("tier")), h("dd", {}, tier)))];
    if (shopper.progress) {
      parts.push(h("progress", { max: "100", value: String(shopper.progress.percent),
        "aria-label": shopper.progress.text }), h("p", { class: "muted" }, shopper.progress.text));
    }
    return h("div", { class: "summary" }, parts);
  }
  function vouchers(shopper) {
    const list = shopper.vouchers.length
      ? h("ul", { class: "list" }, shopper.vouchers.map((v) => h("li", {},
        h("div", {}, h("strong", {}, v.reward), h("span", {}, `${v.status_label} · ${t("expires", { date: v.expires_label })}`)),
        v.status === "issued" ? codeField(v.code, `${t("your_code")}: ${v.reward}`) : h("code", {}, v.code),
        syncNote(v))))
      : h("p", { class: "muted" }, t("no_vouchers"));
    return section(t("vouchers"), list);
  }
  function referral(shopper) {
    const ref = shopper.referral;
    const share = navigator.share
      ? h("button", { type: "button", class: "secondary", onclick: () => navigator.share({
        text: ref.message, url: ref.url }).catch(() => {}) }, t("share"))
      : h("a", { class: "button secondary", href: `mailto:?body=${encodeURIComponent(`${ref.message} ${ref.url}`)}` }, t("share"));
    const qr = h("div", { class: "qr", role: "img", "aria-label": t("qr") });
    qr.innerHTML = ref.qr_svg; // segno's SVG, made on the server from the shopper's own link
    return section(t("refer"), h("p", {}, ref.message),
      codeField(ref.url, t("share_link")), h("div", { class: "row" }, share), qr);
  }
  function history(shopper) {
    const list = shopper.history.length
      ? h("ul", { class: "list history" }, shopper.history.map((e) => h("li", {},
        h("div", {}, h("strong", {}, e.reason), h("span", {}, e.date_label)),
        h("span", { class: e.amount < 0 ? "minus" : "plus" }, number(e.amount, true)))))
      : h("p", { class: "muted" }, t("no_history"));
    return section(t("history"), list);
  }
  function renderPanel() {
    const boot = state.boot;
    const shopper = boot.shopper;
    const title = shopper && shopper.first_name ? t("hello", { name: shopper.first_name }) : t("panel_title");
    const body = [h("header", {}, h("h2", { id: "fw-title", tabindex: "-1" }, title),
      h("button", { type: "button", class: "close", "aria-label": t("close"), onclick: () => toggle(false) }, "×"))];
    if (state.notice) {
      body.push(h("div", { class: "notice", role: "status" },
        h("p", {}, h("strong", {}, state.notice.reward), ` · ${t("your_code")}`),
        codeField(state.notice.code, t("your_code")), syncNote(state.notice)));
      state.notice = null;
    }
    if (shopper) {
      body.push(summary(shopper), rewards(shopper), vouchers(shopper), waysToEarn(),
        referral(shopper), history(shopper));
    } else {
      const links = h("div", { class: "row" });
      if (boot.links.signup) links.append(h("a", { class: "button", href: boot.links.signup }, t("join")));
      if (boot.links.login) links.append(h("a", { class: "button secondary", href: boot.links.login }, t("login")));
      body.push(h("div", { class: "guest" },
        state.referred ? h("p", {}, h("strong", {}, t("referral_welcome"))) : null,
        h("h3", {}, t("guest_title")), h("p", {}, t("guest_text")), links),
        waysToEarn(), rewards(null));
    }
    panel.replaceChildren(...body.filter(Boolean));
  }

  /* ---------- quizzes ---------- */
  function mountQuiz(placeholder) {
    const slug = placeholder.dataset.flywheelQuiz;
    const qshadow = root(placeholder);
    const box = h("div", { class: "quiz" });
    let dialog = null;
    if (placeholder.dataset.mode === "modal") {
      dialog = h("dialog", { class: "quiz-dialog", "aria-label": t("quiz_open") },
        h("button", { type: "button", class: "close", "aria-label": t("close"), onclick: () => dialog.close() }, "×"), box);
      dialog.addEventListener("close", () => opener.focus());
      const opener = h("button", { type: "button", onclick: () => { dialog.showModal(); start(); } }, t("quiz_open"));
      qshadow.append(opener, dialog);
    } else {
      qshadow.append(box);
      start();
    }
    let quiz, answers, path, consent;
    async function start() {
      box.replaceChildren(h("p", { role: "status" }, t("loading")));
      try {
        quiz = await api(`quizzes/${encodeURIComponent(slug)}/`);
      } catch (error) {
        box.replaceChildren(h("p", { role: "alert" }, error.message || t("error")));
        return;
      }
      if (dialog) dialog.setAttribute("aria-label", quiz.title);
      answers = {};
      path = [];
      consent = false;
      box.replaceChildren(h("h3", {}, quiz.title), h("p", {}, quiz.intro),
        h("button", { type: "button", onclick: () => ask(quiz.first_question) }, t("quiz_start")));
    }
    const question = (key) => quiz.questions.find((q) => q.key === key);
    function nextKey(q, answer) {
      let target = q.next;
      const chosen = [].concat(answer == null ? [] : answer);
      for (const choice of q.choices) {
        if (chosen.includes(choice.key) && choice.next) { target = choice.next; break; }
      }
      return target && target !== "end" ? target : null;
    }
    function ask(key) {
      const q = question(key);
      const legendId = `fw-q-${q.key}`;
      const fields = h("div", { class: "choices" });
      const multiple = q.kind === "multiple";
      if (q.kind === "single" || multiple || q.kind === "scale") {
        const options = q.kind === "scale"
          ? [1, 2, 3, 4, 5].map((n) => ({ key: String(n), label: String(n) })) : q.choices;
        for (const choice of options) {
          const previous = [].concat(answers[q.key] ?? []).map(String);
          fields.append(h("label", { class: "choice" }, h("input", {
            type: multiple ? "checkbox" : "radio", name: q.key, value: choice.key,
            checked: previous.includes(choice.key) }), h("span", {}, choice.label)));
        }
      } else {
        const type = { email: "email", birthday: "date" }[q.kind] || "text";
        fields.append(h("input", { type, name: q.key, "aria-labelledby": legendId,
          value: answers[q.key] ?? "", class: "text" }));
        if (q.kind === "email") {  // as the quiz page asks: consent is its own, unticked box
          fields.append(h("label", { class: "choice" }, h("input", {
            type: "checkbox", name: "consent", checked: consent }),
            h("span", {}, t("quiz_consent"))), h("p", { class: "muted" }, t("quiz_consent_help")));
        }
      }
      const error = h("p", { class: "error", role: "alert" });
      const form = h("form", { novalidate: true },
        h("fieldset", {}, h("legend", { id: legendId }, q.text),
          q.help_text ? h("p", { class: "muted" }, q.help_text) : null, fields),
        error,
        h("p", { class: "muted" }, t("quiz_step", { n: path.length + 1, total: quiz.questions.length })),
        h("div", { class: "row" },
          path.length ? h("button", { type: "button", class: "secondary", onclick: () => ask(path.pop()) }, t("quiz_back")) : null,
          h("button", { type: "submit" }, t("quiz_next"))));
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const inputs = [...form.querySelectorAll(`[name="${q.key}"]`)];
        let answer;
        if (q.kind === "multiple") answer = inputs.filter((i) => i.checked).map((i) => i.value);
        else if (q.kind === "single") answer = (inputs.find((i) => i.checked) || {}).value;
        else if (q.kind === "scale") {
          const picked = inputs.find((i) => i.checked);
          answer = picked ? Number(picked.value) : undefined;
        } else answer = inputs[0].value.trim();
        if (q.kind === "email") consent = form.querySelector('[name="consent"]').checked;
        const empty = answer == null || answer === "" || (Array.isArray(answer) && !answer.length);
        if (empty && q.required) {
          error.textContent = t("quiz_required");
          form.querySelector("input").focus();
          return;
        }
        if (empty) delete answers[q.key]; else answers[q.key] = answer;
        path.push(q.key);
        const next = nextKey(q, answer);
        if (next) ask(next); else finish();
      });
      box.replaceChildren(form);
      form.querySelector("legend").setAttribute("tabindex", "-1");
      form.querySelector("legend").focus();
    }
    async function finish() {
      box.replaceChildren(h("p", { role: "status" }, t("loading")));
      const kept = {};
      for (const key of path) if (key in answers) kept[key] = answers[key];
      try {
        const result = await api(`quizzes/${encodeURIComponent(slug)}/responses/`, {
          method: "POST", body: { answers: kept, marketing_consent: consent
            && quiz.questions.some((q) => q.kind === "email" && q.key in kept) } });
        const heading = h("h3", { tabindex: "-1" }, quiz.results_heading || t("quiz_results"));
        box.replaceChildren(...[heading,
          result.points ? h("p", {}, t(result.shopper ? "quiz_points" : "quiz_points_guest", { points: result.points })) : null,
          h("ul", { class: "list picks" }, result.picks.map((pick) => h("li", { class: "pick" },
            h("div", {}, h("strong", {}, pick.name), h("span", {}, pick.price),
              pick.reasons.length ? h("span", { class: "muted" }, t("quiz_because", { reasons: pick.reasons.join(", ") })) : null),
            h("div", { class: "row" },
              h("a", { class: "button", href: pick.url }, t("quiz_view"), h("span", { class: "sr-only" }, ` ${pick.name}`)),
              pick.add_to_cart_url ? h("a", { class: "button secondary", href: pick.add_to_cart_url }, t("quiz_add"),
                h("span", { class: "sr-only" }, ` ${pick.name}`)) : null))))].filter(Boolean));
        heading.focus();
      } catch (error) {
        box.replaceChildren(h("p", { role: "alert", class: "error" }, error.message || t("error")));
      }
    }
  }

  /* ---------- ?ref=CODE on any page ---------- */
  async function referralLanding() {
    const code = new URLSearchParams(location.search).get("ref");
    if (!code || sessionStorage.getItem(`flywheel:ref:${code}`)) return;
    try {
      await api("referral-clicks/", { method: "POST", body: { code } });
      sessionStorage.setItem(`flywheel:ref:${code}`, "1");
      localStorage.setItem("flywheel:referral", code);
      state.referred = true;
    } catch { /* an unknown code changes nothing for the visitor */ }
  }

  async function main() {
    const started = performance.now();
    const landing = referralLanding();
    await signIn();
    await load();
    mountLauncher();
    document.querySelectorAll("[data-flywheel-quiz]").forEach(mountQuiz);
    const ready = performance.now() - started;
    window.FlywheelWidget = { ready, readyAt: performance.now(), open: () => toggle(true) };
    await landing;
    host.dataset.ready = Math.round(ready);
    document.dispatchEvent(new CustomEvent("flywheel:ready"));
  }
  window.FlywheelWidget = { ready: null };
  const run = () => main().catch((error) => console.warn("Flywheel:", error.message));
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
