// Draws every [data-chart] element with Apache ECharts (served from our static files, loaded only on pages with
// a chart). The option arrives as a JSON data block built by disbursement/charts.py; functions cannot travel as
// JSON, so the yuan formatter and click-through links are added here.
"use strict";

(function () {
  const yuanFormat = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-US" : "zh-CN",
    {minimumFractionDigits: 2, maximumFractionDigits: 2});
  const numberFormat = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-US" : "zh-CN",
    {maximumFractionDigits: 4});

  function prepare(option) {
    const format = option.yuan ? (v) => (v == null ? "-" : yuanFormat.format(v)) : (v) => (v == null ? "-" : numberFormat.format(v));
    if (option.tooltip) option.tooltip.valueFormatter = format;
    [].concat(option.xAxis || [], option.yAxis || []).forEach(function (axis) {
      if (axis.type === "value") axis.axisLabel = Object.assign({}, axis.axisLabel, {formatter: format});
    });
    (option.series || []).forEach(function (series) {
      if (series.type === "sankey" && series.edgeLabel) series.edgeLabel.formatter = (p) => format(p.value);
    });
    delete option.yuan;
    const links = option.links || {};
    delete option.links;
    return links;
  }

  function draw(box) {
    const option = JSON.parse(document.getElementById(box.dataset.chart).textContent);
    const links = prepare(option);
    const chart = window.echarts.init(box, null, {renderer: "svg"});
    chart.setOption(option);
    chart.on("click", function (event) {
      const target = links[event.name];
      if (target) window.location.href = target;
    });
    if (Object.keys(links).length) box.classList.add("chart-links");
    window.addEventListener("resize", function () { chart.resize(); });
    box.dataset.drawn = "1";
  }

  function start() {
    const boxes = document.querySelectorAll("[data-chart]");
    if (!boxes.length) return;
    if (window.echarts) { boxes.forEach(draw); return; }
    const script = document.createElement("script");
    script.src = boxes[0].dataset.library;
    script.addEventListener("load", function () { boxes.forEach(draw); });
    document.head.appendChild(script);
  }

  document.addEventListener("DOMContentLoaded", start);
})();
