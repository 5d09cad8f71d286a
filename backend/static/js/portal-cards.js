// Tables with class "cards" become one card per row on a narrow screen (portal.css). Each cell is labelled
// with its column's header here, so the card reads 「金额（元） 120.00」; rows the page adds later (the lookup
// result) are labelled as they arrive.
"use strict";

function cardsLabel(table) {
  const headers = Array.from(table.querySelectorAll("thead th"), th => th.textContent.trim());
  table.querySelectorAll("tbody tr").forEach(function (row) {
    Array.from(row.cells).forEach(function (cell, index) {
      if (cell.colSpan > 1) { cell.classList.add("whole"); return; }
      if (headers[index]) cell.dataset.label = headers[index];
    });
  });
}

document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("table.cards").forEach(function (table) {
    cardsLabel(table);
    const body = table.tBodies[0];
    if (body) new MutationObserver(function () { cardsLabel(table); }).observe(body, {childList: true});
  });
});
