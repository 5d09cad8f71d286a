// Staff pages' behaviour, from a static file: the Content-Security-Policy allows no inline script or handler.
"use strict";

function importProgressPoll(box) {
  // An import's page follows its job through the API until it ends, then reloads to show the outcome.
  async function poll() {
    const response = await fetch(box.dataset.url, {credentials: "same-origin"});
    if (!response.ok) { setTimeout(poll, 2000); return; }
    const job = await response.json();
    document.getElementById("progress-phase").textContent = job.progress.phase;
    document.getElementById("progress-done").textContent = job.progress.done;
    document.getElementById("progress-total").textContent = job.progress.total;
    const bar = document.getElementById("progress-bar");
    bar.max = Math.max(job.progress.total, 1); bar.value = job.progress.done;
    if (["accepted", "rejected", "failed"].includes(job.status)) { window.location.reload(); return; }
    setTimeout(poll, 700);
  }
  setTimeout(poll, 300);
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  const progress = document.getElementById("progress");
  if (progress && progress.dataset.url) importProgressPoll(progress);
});
