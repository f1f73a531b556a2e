/* Place suggestions as one types, for <input data-suggestions="/lieux/suggestions">.
 *
 * Progressive enhancement: without this script the field is a plain text input (the server
 * resolves names and codes). With it, the input becomes an ARIA 1.2 combobox: after two
 * characters (debounced) the places from the JSON endpoint fill a listbox; ArrowDown/ArrowUp
 * move through it, Enter chooses, Escape closes. Everything shown is set as text, never
 * as HTML.
 */
(function () {
  "use strict";

  var MIN_CHARS = 2;
  var DELAY = 180; // ms after the last keystroke

  function enhance(input, n) {
    var url = input.getAttribute("data-suggestions");
    if (!url || !window.fetch) return;
    // the browser's own datalist popup would cover ours
    input.removeAttribute("list");

    var listId = (input.id || "lieu-" + n) + "-suggestions";
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Lieux proposés");
    list.hidden = true;

    var status = document.createElement("span");
    status.className = "visuellement-cache";
    status.setAttribute("role", "status");

    var wrapper = document.createElement("div");
    wrapper.className = "combobox";
    input.parentNode.insertBefore(wrapper, input);
    wrapper.appendChild(input);
    wrapper.appendChild(list);
    wrapper.appendChild(status);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("autocomplete", "off");

    var items = [];
    var active = -1;
    var timer = null;
    var pending = null;
    var lastQuery = null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function open() {
      if (!items.length) return;
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function setActive(index) {
      var options = list.children;
      if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
      active = index;
      if (active >= 0 && options[active]) {
        options[active].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", options[active].id);
        options[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(index) {
      var item = items[index];
      if (!item) return;
      input.value = item.value;
      lastQuery = item.value;
      close();
      input.focus();
    }

    function render(data, q) {
      items = data.items || [];
      list.textContent = "";
      // which typed text the shown places answer (one can wait on it: tests, debugging)
      list.setAttribute("data-query", q);
      active = -1;
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.id = listId + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var name = document.createElement("span");
        name.className = "suggestion-nom";
        name.textContent = item.label;
        var detail = document.createElement("span");
        detail.className = "suggestion-detail";
        detail.textContent =
          " — " + item.kind + (item.code ? " " + item.code : "") +
          (item.departement ? ", " + item.departement : "");
        li.appendChild(name);
        li.appendChild(detail);
        // mousedown would blur the input before the click
        li.addEventListener("mousedown", function (e) { e.preventDefault(); });
        li.addEventListener("click", function () { choose(i); });
        list.appendChild(li);
      });
      status.textContent = items.length
        ? items.length + (items.length > 1 ? " lieux proposés" : " lieu proposé") +
          ", flèches haut et bas pour choisir"
        : "Aucun lieu proposé";
      if (items.length) open(); else close();
    }

    function fetchSuggestions() {
      var q = input.value.trim();
      if (q === lastQuery) return;
      lastQuery = q;
      list.removeAttribute("data-query");
      if (pending) pending.abort();
      if (q.length < MIN_CHARS) {
        items = [];
        list.textContent = "";
        status.textContent = "";
        close();
        return;
      }
      pending = window.AbortController ? new AbortController() : null;
      var sep = url.indexOf("?") >= 0 ? "&" : "?";
      fetch(url + sep + "q=" + encodeURIComponent(q), {
        headers: { Accept: "application/json" },
        signal: pending ? pending.signal : undefined,
      })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (data) {
          if (input.value.trim() === q && document.activeElement === input) render(data, q);
        })
        .catch(function () { /* aborted or offline: the plain field still works */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, DELAY);
    });

    input.addEventListener("keydown", function (e) {
      var expanded = !list.hidden;
      if (e.key === "ArrowDown") {
        if (!items.length) return;
        e.preventDefault();
        if (!expanded) { open(); setActive(0); return; }
        setActive(active + 1 < items.length ? active + 1 : 0);
      } else if (e.key === "ArrowUp") {
        if (!items.length) return;
        e.preventDefault();
        if (!expanded) { open(); setActive(items.length - 1); return; }
        setActive(active > 0 ? active - 1 : items.length - 1);
      } else if (e.key === "Enter") {
        if (expanded && active >= 0) {
          e.preventDefault(); // choose, do not submit yet
          choose(active);
        } else if (expanded) {
          close();
        }
      } else if (e.key === "Escape") {
        if (expanded) {
          e.preventDefault();
          close();
        }
      } else if (e.key === "Tab") {
        close();
      }
    });

    input.addEventListener("blur", function () { close(); });
  }

  function init() {
    var inputs = document.querySelectorAll("input[data-suggestions]");
    for (var i = 0; i < inputs.length; i++) enhance(inputs[i], i);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
