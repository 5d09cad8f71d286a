// Pickers that enhance plain form fields; without this script the fields still work as they are.
//  - select[data-picker=item]: a type-ahead over the select's own options (name or code), grouped by category
//    (the select's optgroups); picking an option sets the select.
//  - [data-picker=region]: a cascade city → county → township → village over the public geo API, starting below
//    data-region-root and ending at data-region-target. On a <select> (the target level) the cascade fills it; on
//    an <input> (a 12-digit code) the deepest chosen region is written into it and the input is hidden.
// A static file, because the Content-Security-Policy allows no inline script or handler.
"use strict";

(function () {
  const LEVELS = ["province", "city", "county", "township", "village"];
  const PREFIX = {province: 2, city: 4, county: 6, township: 9, village: 12};

  function levelOf(code) {
    if (code.slice(9) !== "000") return "village";
    if (code.slice(6) !== "000000") return "township";
    if (code.slice(4) !== "00000000") return "county";
    if (code.slice(2) !== "0000000000") return "city";
    return "province";
  }

  function ancestorAt(code, level) { return code.slice(0, PREFIX[level]).padEnd(12, "0"); }

  let pickerCount = 0;

  function itemPicker(select) {
    const text = select.dataset;
    const id = select.id || "item-picker-" + (++pickerCount);
    const options = [];
    for (const option of select.querySelectorAll("option")) {
      if (!option.value) continue;
      const group = option.parentElement.tagName === "OPTGROUP" ? option.parentElement.label : "";
      options.push({value: option.value, label: option.textContent, group: group, id: id + "-option-" + option.value});
    }
    const box = document.createElement("div");
    box.className = "picker";
    const input = document.createElement("input");
    input.type = "search";
    input.id = id + "-search";
    input.className = "picker-search";
    input.placeholder = text.searchLabel;
    input.autocomplete = "off";
    input.setAttribute("aria-label", text.searchLabel);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    const list = document.createElement("ul");
    list.id = id + "-list";
    list.className = "picker-list";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.setAttribute("aria-controls", list.id);
    box.append(input, list);
    select.before(box);

    let shown = [];
    let active = -1;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      const items = list.querySelectorAll("[role=option]");
      items.forEach(function (li, i) { li.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0 && items[index]) {
        input.setAttribute("aria-activedescendant", items[index].id);
        items[index].scrollIntoView({block: "nearest"});
      }
    }

    function pick(option) {
      select.value = option.value;
      select.dispatchEvent(new Event("change", {bubbles: true}));
      input.value = option.label;
      close();
    }

    function show() {
      const query = input.value.trim().toLowerCase();
      list.replaceChildren();
      if (!query) { close(); return; }
      shown = options.filter(o => o.label.toLowerCase().includes(query) || o.value.startsWith(query)).slice(0, 60);
      let group = null;
      for (const option of shown) {
        if (option.group && option.group !== group) {
          group = option.group;
          const heading = document.createElement("li");
          heading.className = "picker-group";
          heading.setAttribute("role", "presentation");
          heading.textContent = group;
          list.appendChild(heading);
        }
        const li = document.createElement("li");
        li.id = option.id;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.dataset.value = option.value;
        li.textContent = option.label;
        // mousedown, not click: it comes before the input's blur, which closes the list.
        li.addEventListener("mousedown", function (event) { event.preventDefault(); pick(option); });
        list.appendChild(li);
      }
      if (!shown.length) {
        const none = document.createElement("li");
        none.className = "muted";
        none.textContent = text.noMatch;
        list.appendChild(none);
      }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(shown.length === 1 ? 0 : -1);
    }

    input.addEventListener("input", show);
    input.addEventListener("blur", close);
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (list.hidden) show();
        const step = event.key === "ArrowDown" ? 1 : -1;
        highlight(Math.max(0, Math.min(shown.length - 1, active + step)));
      } else if (event.key === "Enter" && !list.hidden) {
        event.preventDefault();  // choosing an item must not submit the form
        if (active >= 0 && shown[active]) pick(shown[active]);
      } else if (event.key === "Escape") {
        close();
      }
    });
    select.addEventListener("change", function () {
      const chosen = options.find(o => o.value === select.value);
      if (chosen && input.value !== chosen.label) input.value = "";
    });
  }

  function regionPicker(field) {
    const text = field.dataset;
    const root = text.regionRoot;
    if (!root || !/^[0-9]{12}$/.test(root)) return;
    const target = text.regionTarget;
    const levels = LEVELS.slice(LEVELS.indexOf(levelOf(root)) + 1, LEVELS.indexOf(target) + 1);
    const isSelect = field.tagName === "SELECT";
    // A select of the root's own children needs no cascade: it already lists exactly them.
    if (!levels.length || (isSelect && levels.length === 1)) return;
    const required = field.required;
    const holder = field.closest("p") || field;
    const box = document.createElement("div");
    box.className = "region-picker";
    const selects = levels.map(function (level, index) {
      if (isSelect && index === levels.length - 1) return field;
      const select = document.createElement("select");
      select.id = (field.id || "region") + "-" + level;
      select.dataset.level = level;
      // A general complaint needs at least its county; the finer levels are asked for, not demanded.
      select.required = required && LEVELS.indexOf(level) <= LEVELS.indexOf("county");
      const label = document.createElement("label");
      label.htmlFor = select.id;
      label.textContent = text["label" + level.charAt(0).toUpperCase() + level.slice(1)];
      const line = document.createElement("p");
      line.append(label, document.createElement("br"), select);
      box.appendChild(line);
      return select;
    });
    holder.before(box);
    if (!isSelect) {
      field.required = false;
      holder.hidden = true;
    }

    function fill(select, regions) {
      const placeholder = document.createElement("option");
      placeholder.value = "";
      placeholder.textContent = text.choose;
      const rows = regions.map(function (region) {
        const option = document.createElement("option");
        option.value = region.code;
        option.textContent = region.name;
        return option;
      });
      select.replaceChildren(placeholder, ...rows);
      select.disabled = !regions.length;
    }

    async function children(code) {
      const response = await fetch(text.childrenUrl.replace("000000000000", code), {headers: {Accept: "application/json"}});
      return response.ok ? response.json() : [];
    }

    function chosen() {
      for (let i = selects.length - 1; i >= 0; i--) if (selects[i].value) return selects[i].value;
      return "";
    }

    async function load(index, parent, preset) {
      for (let i = index; i < selects.length; i++) fill(selects[i], []);
      if (!parent) return;
      fill(selects[index], await children(parent));
      if (preset && levelOf(preset) !== levels[index]) {
        const value = ancestorAt(preset, levels[index]);
        selects[index].value = value;
        if (selects[index].value === value && index + 1 < selects.length) await load(index + 1, value, preset);
      } else if (preset) {
        selects[index].value = preset;
        if (selects[index].value === preset && index + 1 < selects.length) await load(index + 1, preset, null);
      }
    }

    selects.forEach(function (select, index) {
      select.addEventListener("change", async function () {
        if (index + 1 < selects.length) await load(index + 1, select.value, null);
        if (!isSelect) field.value = chosen();
      });
    });
    const initial = field.value && field.value.startsWith(root.slice(0, PREFIX[levelOf(root)])) ? field.value : "";
    load(0, root, initial || null).then(function () {
      if (!isSelect) field.value = chosen();
      box.dataset.ready = "true";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-picker=item]").forEach(itemPicker);
    document.querySelectorAll("[data-picker=region]").forEach(regionPicker);
  });
})();
