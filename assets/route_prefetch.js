// Fetch the task page's code while the person is still elsewhere (the project
// page's Run button leads there). React Router loads a route's module only on
// navigation, and that module then pulls ~70 chunks in waves: measured on a
// phone viewport that was ~500 ms between clicking Run and the task page, on the
// path the person waits on. Importing it once the page is idle puts the whole
// graph in the browser's module map, so the navigation only renders.
(function () {
  "use strict";
  var PATHS = ["tasks/:task_id"];

  function modulesFor(manifest, paths) {
    var out = [];
    var routes = (manifest && manifest.routes) || {};
    Object.keys(routes).forEach(function (id) {
      var r = routes[id];
      if (r && paths.indexOf(r.path) >= 0 && r.module) out.push(r.module);
    });
    return out;
  }

  function prefetch() {
    var loads = modulesFor(window.__reactRouterManifest, PATHS).map(function (src) {
      // A failed prefetch costs only the wait it would have saved.
      return import(src).catch(function () {});
    });
    Promise.all(loads).then(function () { api.done = true; });
  }

  function whenIdle() {
    if (window.requestIdleCallback) window.requestIdleCallback(prefetch, { timeout: 2000 });
    else setTimeout(prefetch, 200);
  }

  var api = window.clawwebPrefetch = { modulesFor: modulesFor, PATHS: PATHS, done: false };
  if (document.readyState === "complete") whenIdle();
  else window.addEventListener("load", whenIdle, { once: true });
})();
