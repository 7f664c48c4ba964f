// Load the widget manager from the copies the book serves itself (see scripts/fetch_widget_assets.py),
// in order: the module loader, where to find anywidget's runtime, then the manager, which renders
// the widgets from the state stored in the page. The manager's "CDN" fallback is a folder of this
// site, so a page never asks another host for anything.
(function () {
  var script = document.currentScript;
  var here = script.src.replace(/[^/]*$/, "");
  script.setAttribute("data-jupyter-widgets-cdn", here + "npm/");

  function load(file, then) {
    var tag = document.createElement("script");
    tag.src = here + file;
    tag.onload = then;
    document.head.appendChild(tag);
  }

  load("require.js", function () {
    // The manager's modules find their icon fonts (Font Awesome) beside the place the module loader
    // believes they came from: name that place as this folder, where the fonts are served.
    var here_ = here.replace(/\/$/, "");
    window.requirejs.config({
      paths: {
        anywidget: here + "anywidget/index",
        "@jupyter-widgets/base": here + "base",
        "@jupyter-widgets/base7": here + "base7",
        "@jupyter-widgets/controls": here + "controls",
        "@jupyter-widgets/controls7": here + "controls7",
        "@jupyter-widgets/html-manager": here + "html-manager",
        "@jupyter-widgets/html-manager/dist": here_,
      },
    });
    load("embed-amd.js");
  });
})();
