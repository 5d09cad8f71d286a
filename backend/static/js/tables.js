// Sortable tables: a click on a header of a `table[data-sort]` sorts its body by that column, a second click
// reverses. A cell's `data-value` (a number, e.g. fen) sorts before its text, so "1,234.00" sorts as a number;
// cells without one sort as text in the page's language. Rows in <tfoot> (totals) stay where they are.
"use strict";

(function () {
  const collator = new Intl.Collator(document.documentElement.lang || "zh-CN", {numeric: true});

  function key(row, index) {
    const cell = row.cells[index];
    if (!cell) return "";
    if (cell.dataset.value !== undefined && cell.dataset.value !== "") return Number(cell.dataset.value);
    return cell.textContent.trim();
  }

  function compare(a, b) {
    if (typeof a === "number" && typeof b === "number") return a - b;
    return collator.compare(String(a), String(b));
  }

  function sortBy(table, header, index) {
    const body = table.tBodies[0];
    if (!body) return;
    const descending = header.getAttribute("aria-sort") === "ascending";
    table.querySelectorAll("thead th").forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
    const rows = Array.from(body.rows);
    rows.sort(function (a, b) {
      const order = compare(key(a, index), key(b, index));
      return descending ? -order : order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.dataset.sorted = index + (descending ? "-desc" : "-asc");
  }

  function prepare(table) {
    const headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.from(headers).forEach(function (header, index) {
      if (header.hasAttribute("data-nosort")) return;
      header.classList.add("sortable");
      header.tabIndex = 0;
      header.addEventListener("click", function () { sortBy(table, header, index); });
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(table, header, index); }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table[data-sort]").forEach(prepare);
  });
})();
