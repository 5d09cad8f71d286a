// The portal's forms talk to the JSON API; each form carries its endpoint and its translated texts in data-*
// attributes. A static file, because the Content-Security-Policy allows no inline script or handler.
"use strict";

async function postJson(url, body) {
  const response = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                                     body: JSON.stringify(body)});
  let data = {};
  try { data = await response.json(); } catch (error) { data = {}; }
  return {response, data};
}

// The page renders each sentence in its language with {name} slots (data-* attributes); the script fills them.
function fill(pattern, values) {
  return pattern.replace(/\{(\w+)\}/g, (slot, name) => (name in values ? values[name] : slot));
}

function lookupForm(form) {
  const text = form.dataset;
  let challengeId = null;
  function cell(value) { const td = document.createElement("td"); td.textContent = value == null ? "—" : value; return td; }
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const body = {name: document.getElementById("lookup-name").value, id_number: document.getElementById("lookup-id").value};
    if (challengeId) { body.challenge_id = challengeId; body.challenge_answer = document.getElementById("challenge-answer").value; }
    const {response, data} = await postJson(text.url, body);
    const message = document.getElementById("lookup-message");
    const result = document.getElementById("lookup-result");
    if (data.challenge) {
      challengeId = data.challenge.id;
      document.getElementById("challenge-question").textContent = data.challenge.question;
      document.getElementById("challenge").hidden = false;
    }
    if (!response.ok) { message.textContent = data.message || text.tryLater; result.hidden = true; return; }
    challengeId = data.challenge ? data.challenge.id : null;
    if (!data.challenge) { document.getElementById("challenge").hidden = true; }
    const rows = document.getElementById("lookup-rows"); rows.replaceChildren();
    const totals = document.getElementById("lookup-totals"); totals.replaceChildren();
    if (!data.person) { message.textContent = text.notFound; result.hidden = true; return; }
    message.textContent = "";
    document.getElementById("lookup-person").textContent = data.person.name + " · " + data.person.id_number;
    for (const p of data.payments) {
      const tr = document.createElement("tr");
      const status = p.advice ? fill(text.statusAdvice, {status: p.status_text, advice: p.advice}) : p.status_text;
      [p.item, p.period, p.amount_yuan, status, p.paid_on, p.village]
        .forEach(v => tr.appendChild(cell(v)));
      const complain = document.createElement("td"); const link = document.createElement("a");
      link.href = text.complaintUrl + "?payment=" + encodeURIComponent(p.reference);
      link.textContent = text.complain; complain.appendChild(link); tr.appendChild(complain);
      rows.appendChild(tr);
    }
    for (const t of data.totals) {
      const li = document.createElement("li");
      li.textContent = fill(text.yearTotal, {year: t.year, amount: t.paid_yuan, count: t.paid_count});
      totals.appendChild(li);
    }
    result.hidden = false;
  });
}

function complaintForm(form) {
  const text = form.dataset;
  const value = id => document.getElementById(id).value.trim();
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const body = {kind: value("complaint-kind"), subject: value("complaint-subject"),
                  contact_name: value("complaint-contact-name"), contact_phone: value("complaint-contact-phone")};
    if (value("complaint-payment")) body.payment_reference = value("complaint-payment");
    if (value("complaint-roster")) body.roster_id = parseInt(value("complaint-roster"), 10);
    if (value("complaint-region")) body.region_code = value("complaint-region");
    const {response, data} = await postJson(text.url, body);
    const message = document.getElementById("complaint-message");
    if (!response.ok) { message.textContent = data.message || text.checkForm; return; }
    message.replaceChildren();
    const strong = document.createElement("strong"); strong.id = "tracking-number"; strong.textContent = data.tracking_number;
    message.append(text.received + " ", strong);
    form.hidden = true;
  });
}

function trackForm(form) {
  const text = form.dataset;
  const labels = {received: text.received, in_progress: text.inProgress, answered: text.answered, closed: text.closed};
  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const {response, data} = await postJson(text.url, {tracking_number: document.getElementById("track-number").value.trim()});
    if (!response.ok) {
      document.getElementById("track-message").textContent = data.message || "";
      document.getElementById("track-result").hidden = true;
      return;
    }
    document.getElementById("track-message").textContent = "";
    document.getElementById("track-status").textContent = labels[data.status] || data.status;
    document.getElementById("track-created").textContent = data.created_on;
    document.getElementById("track-answer").textContent = data.answer || "";
    document.getElementById("track-result").hidden = false;
  });
}

document.addEventListener("DOMContentLoaded", function () {
  const forms = {"lookup-form": lookupForm, "complaint-form": complaintForm, "track-form": trackForm};
  for (const [id, wire] of Object.entries(forms)) {
    const form = document.getElementById(id);
    if (form) wire(form);
  }
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
});
