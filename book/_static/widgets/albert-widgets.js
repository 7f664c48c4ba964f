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
    window.requirejs.config({ paths: { anywidget: here + "anywidget/index" } });
    load("embed-amd.js");
  });
})();
