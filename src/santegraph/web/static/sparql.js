// The /sparql page: YASGUI (vendored, no CDN) over the plain form, which stays the
// fallback without JavaScript. Configuration comes from the server in #sparql-config.
(function () {
  "use strict";
  var configElement = document.getElementById("sparql-config");
  var root = document.getElementById("yasgui");
  var form = document.getElementById("sparql-form");
  if (!configElement || !root || typeof window.Yasgui === "undefined") {
    return; // keep the plain form
  }
  var config = JSON.parse(configElement.textContent);
  var Yasgui = window.Yasgui.default || window.Yasgui;

  // IRIs minted by santegraph open its own pages (/id/..., /ontology#...).
  function localHref(iri) {
    for (var i = 0; i < config.links.length; i++) {
      var namespace = config.links[i][0];
      if (iri && iri.indexOf(namespace) === 0 && iri.length > namespace.length) {
        return config.links[i][1] + iri.slice(namespace.length);
      }
    }
    return null;
  }
  function relink(link) {
    if (link.dataset.local) {
      return;
    }
    link.dataset.local = "1";
    var local = localHref(link.getAttribute("href"));
    if (local) {
      link.setAttribute("href", local);
      link.removeAttribute("target");
    }
  }
  // YASGUI draws controls without a name (the editor's textarea, the endpoint field), a
  // button inside its tab list, and a scrolled editor a keyboard cannot reach; its
  // words are English. Named here, in French, whenever it draws them (axe-core checks
  // the page: tests/content/test_accessibility.py).
  var names = [
    [".CodeMirror textarea", "aria-label", "Requête SPARQL"],
    ["input.autocomplete", "aria-label", "Adresse du point d'accès SPARQL"],
    [".tabsList .tab input", "aria-label", "Nom de l'onglet"],
    [".tabsList .closeTab", "title", "Fermer l'onglet"],
    [".tabsList button.addTab", "aria-label", "Ajouter un onglet"],
    [".tabsList button.addTab", "title", "Ajouter un onglet"],
    // a tab list holds tabs only: the "+" button is the tab that adds one
    [".tabsList button.addTab", "role", "tab"],
    [".tabsList button.addTab", "aria-selected", "false"],
    [".CodeMirror-scroll", "tabindex", "0"],
    [".CodeMirror-scroll", "role", "group"],
    [".CodeMirror-scroll", "aria-label", "Texte de la requête, à faire défiler"],
    ["select.tableSizer", "aria-label", "Lignes par page"],
    ["input.tableFilter", "aria-label", "Filtrer les résultats"],
    ["input.tableFilter", "placeholder", "Filtrer les résultats"],
  ];
  function nameControls() {
    names.forEach(function (rule) {
      root.querySelectorAll(rule[0]).forEach(function (el) {
        if (el.getAttribute(rule[1]) !== rule[2]) {
          el.setAttribute(rule[1], rule[2]);
        }
      });
    });
  }
  // Result tables are redrawn (pages, sorting): relink whatever links appear.
  new MutationObserver(function () {
    root.querySelectorAll("a.iri:not([data-local])").forEach(relink);
    nameControls();
  }).observe(root, { childList: true, subtree: true });

  // Offline and private: no autocompletion that queries a remote service (LOV). The
  // defaults are merged index by index, so the list is replaced here, not in the config.
  Yasgui.Yasqe.defaults.autocompleters = ["variables", "prefixes"];
  Yasgui.Yasqe.defaults.prefixCcApi = null;

  root.hidden = false;
  form.hidden = true;
  var yasgui = new Yasgui(root, {
    persistenceId: "santegraph_sparql",
    tabName: "Requête",
    copyEndpointOnNewTab: true,
    requestConfig: { endpoint: config.endpoint, method: "POST" },
    endpointCatalogueOptions: {
      getData: function () {
        return [{ endpoint: config.endpoint }];
      },
      keys: [],
    },
    yasqe: { value: config.defaultQuery },
    yasr: { prefixes: config.prefixes, defaultPlugin: "table" },
  });

  function currentTab() {
    var tab = yasgui.getTab();
    if (tab.getEndpoint() !== config.endpoint) {
      tab.setEndpoint(config.endpoint);
    }
    return tab;
  }
  currentTab();
  yasgui.on("tabSelect", function () {
    window.setTimeout(currentTab, 0);
  });

  // Download links for the current query, in every format of its result kind.
  var downloads = document.getElementById("telechargements");
  function updateDownloads() {
    var query = currentTab().getQuery();
    var kind = /^\s*(?:(?:PREFIX|BASE)[^\n]*\n|#[^\n]*\n|\s)*(CONSTRUCT|DESCRIBE)/i.test(query)
      ? "graph"
      : "solutions";
    ["solutions", "graph"].forEach(function (k) {
      var span = downloads.querySelector('[data-kind="' + k + '"]');
      span.textContent = "";
      if (k !== kind) {
        return;
      }
      config.formats[k].forEach(function (format, i) {
        var link = document.createElement("a");
        link.href = config.endpoint + "?" + new URLSearchParams({ query: query, format: format[0] });
        link.textContent = format[0].toUpperCase();
        link.setAttribute("download", "resultat." + format[0]);
        if (i > 0) {
          span.appendChild(document.createTextNode(" · "));
        }
        span.appendChild(link);
      });
    });
    downloads.hidden = false;
  }
  yasgui.on("queryResponse", updateDownloads);

  function run(query) {
    var tab = currentTab();
    tab.setQuery(query);
    tab.query();
    root.scrollIntoView({ behavior: "smooth" });
  }

  // Examples run in one click, in the editor, without leaving the page.
  document.querySelectorAll("a.executer[data-name]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var item = document.getElementById("exemple-" + link.dataset.name);
      var text = item && item.querySelector("pre.requete");
      if (!text) {
        return; // follow the link: the page opens with the example in the editor
      }
      event.preventDefault();
      run(text.textContent);
    });
  });
  if (config.initial) {
    run(config.initial.query);
  }
})();
