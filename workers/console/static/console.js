// The saga console's only script: it keeps a running purchase's page
// live, and acts through the purchase API (cancel; buy one cart both
// ways). Every page reads without it.
"use strict";

const tokenKey = "saga-console-token";

// Requests go to the purchase API, with the service token when one was
// given (kept for this tab only).
async function callAPI(method, path, body, token) {
  if (token) sessionStorage.setItem(tokenKey, token);
  token = token || sessionStorage.getItem(tokenKey) || "";
  const headers = { "Content-Type": "application/json", "Prefer": "wait=1" };
  if (token) headers["Authorization"] = "Bearer " + token;
  const resp = await fetch(path, { method, headers, body: JSON.stringify(body) });
  const data = await resp.json().catch(() => ({}));
  if (!resp.ok) throw new Error(data.detail || data.title || resp.statusText);
  return data;
}

function say(text) {
  const el = document.getElementById("said");
  if (el) el.textContent = text;
}

// Live: while the section says it is not settled, fetch the page again
// and swap the section in.
function keepLive() {
  const live = document.getElementById("live");
  if (!live || live.dataset.settled === "true") return;
  const tick = async () => {
    try {
      const resp = await fetch(location.href, { headers: { "Accept": "text/html" } });
      if (resp.ok) {
        const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
        const fresh = doc.getElementById("live");
        if (fresh) {
          live.innerHTML = fresh.innerHTML;
          live.dataset.settled = fresh.dataset.settled;
          if (!doc.getElementById("cancel")) {
            const form = document.getElementById("cancel");
            if (form) form.hidden = true;
          }
        }
      }
    } catch (e) { /* the next tick tries again */ }
    if (live.dataset.settled !== "true") setTimeout(tick, 1000);
  };
  setTimeout(tick, 1000);
}

function wireCancel() {
  const form = document.getElementById("cancel");
  if (!form) return;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const id = form.dataset.order;
    say("Cancelling " + id + "…");
    try {
      const rep = await callAPI("POST", "/purchases/" + encodeURIComponent(id) + "/cancel",
        { reason: form.elements.reason.value }, form.elements.token.value);
      say("Cancel accepted: " + id + " is " + rep.status + ".");
      form.hidden = true;
      const live = document.getElementById("live");
      if (live && live.dataset.settled === "true") location.reload();
    } catch (e) {
      say("Cancel refused: " + e.message);
    }
  });
}

function parseItems(text) {
  return text.split(",").map(s => s.trim()).filter(Boolean).map(s => {
    const [sku, n] = s.split(":");
    return { sku: sku.trim(), quantity: parseInt(n || "1", 10) };
  });
}

function wireBuyBoth() {
  const form = document.getElementById("buy-both");
  if (!form) return;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const cart = { customer_id: form.elements.customer.value.trim(), items: parseItems(form.elements.items.value) };
    say("Buying the cart both ways…");
    try {
      const a = await callAPI("POST", "/purchases", { ...cart, mode: "orchestration" }, form.elements.token.value);
      const b = await callAPI("POST", "/purchases", { ...cart, mode: "choreography" });
      location.href = "/console/compare?a=" + encodeURIComponent(a.order_id) + "&b=" + encodeURIComponent(b.order_id);
    } catch (e) {
      say("Refused: " + e.message);
    }
  });
}

document.addEventListener("DOMContentLoaded", () => { keepLive(); wireCancel(); wireBuyBoth(); });
