// Optional improvements of a toile page; everything works without this script.
// - zoom and pan of the drawing (buttons, keyboard +/−/0 and arrows, wheel, drag);
// - print buttons (A4 / A3 landscape), "copy the iframe code".
(function () {
  "use strict";
  document.querySelectorAll(".toile-dessin").forEach(function (box) {
    var svg = box.querySelector("svg");
    if (!svg) return;
    var vb = svg.viewBox.baseVal;
    var start = { x: vb.x, y: vb.y, w: vb.width, h: vb.height };
    var view = Object.assign({}, start);
    function apply() { svg.setAttribute("viewBox", [view.x, view.y, view.w, view.h].join(" ")); }
    function zoom(factor, cx, cy) {
      var w = Math.min(start.w, Math.max(start.w / 8, view.w / factor));
      var h = w * start.h / start.w;
      cx = cx === undefined ? view.x + view.w / 2 : cx;
      cy = cy === undefined ? view.y + view.h / 2 : cy;
      view = { x: cx - (cx - view.x) * w / view.w, y: cy - (cy - view.y) * h / view.h, w: w, h: h };
      apply();
    }
    function pan(dx, dy) { view.x += dx * view.w; view.y += dy * view.h; apply(); }
    var original = svg.getAttribute("viewBox");
    function reset() { view = Object.assign({}, start); svg.setAttribute("viewBox", original); }
    box.tabIndex = 0;
    box.setAttribute("aria-label", "Toile : + et − pour zoomer, flèches pour se déplacer, 0 pour revenir");
    var bar = document.createElement("div");
    bar.className = "toile-zoom";
    [["+", "Zoomer", function () { zoom(1.5); }], ["−", "Dézoomer", function () { zoom(1 / 1.5); }],
     ["Vue entière", "Revenir à la vue entière", reset]].forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button"; button.textContent = b[0]; button.setAttribute("aria-label", b[1]);
      button.addEventListener("click", b[2]); bar.appendChild(button);
    });
    box.insertAdjacentElement("afterend", bar);
    box.addEventListener("keydown", function (e) {
      var keys = { "+": function () { zoom(1.5); }, "=": function () { zoom(1.5); },
        "-": function () { zoom(1 / 1.5); }, "0": reset,
        ArrowLeft: function () { pan(-0.1, 0); }, ArrowRight: function () { pan(0.1, 0); },
        ArrowUp: function () { pan(0, -0.1); }, ArrowDown: function () { pan(0, 0.1); } };
      if (keys[e.key]) { keys[e.key](); e.preventDefault(); }
    });
    function point(e) {
      var p = svg.createSVGPoint(); p.x = e.clientX; p.y = e.clientY;
      return p.matrixTransform(svg.getScreenCTM().inverse());
    }
    box.addEventListener("wheel", function (e) {
      if (!e.ctrlKey && !e.metaKey) return; // plain wheel scrolls the page
      e.preventDefault();
      var p = point(e); zoom(e.deltaY < 0 ? 1.2 : 1 / 1.2, p.x, p.y);
    }, { passive: false });
    var drag = null;
    box.addEventListener("pointerdown", function (e) { drag = point(e); box.setPointerCapture(e.pointerId); });
    box.addEventListener("pointermove", function (e) {
      if (!drag) return;
      var p = point(e); view.x -= p.x - drag.x; view.y -= p.y - drag.y; apply();
    });
    ["pointerup", "pointercancel"].forEach(function (t) { box.addEventListener(t, function () { drag = null; }); });
    window.addEventListener("beforeprint", reset);
  });
  document.querySelectorAll(".toile-imprimer").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var root = document.documentElement;
      root.classList.toggle("papier-a3", button.dataset.papier === "a3");
      window.print();
    });
  });
  document.querySelectorAll(".toile-sans-js").forEach(function (el) { el.hidden = true; });
  document.querySelectorAll(".toile-copier").forEach(function (button) {
    var target = document.getElementById(button.dataset.cible);
    var status = button.parentNode.querySelector(".toile-copie-statut");
    if (!target || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(target.value).then(function () {
        if (status) status.textContent = "Code copié.";
      }, function () { target.select(); });
    });
  });
})();
