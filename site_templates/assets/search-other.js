// A search with no hits in this written form says how many pages the other one has for it
// ("3 treff på nynorsk") and links to that search. The other site's index (same host) goes
// into a second copy of Material's own search worker, so the count is the one the other site
// shows; both are loaded once, on the first search that finds nothing.
(function () {
  "use strict";
  var config = document.getElementById("ps-other-form");
  var material = document.getElementById("__config");
  var meta = document.querySelector(".md-search-result__meta");
  var list = document.querySelector(".md-search-result__list");
  var input = document.querySelector("[data-md-component=search-query]");
  if (!config || !material || !meta || !list || !input || !window.Worker) return;
  var SETUP = 0, READY = 1, QUERY = 2, RESULT = 3; // Material's worker messages
  var worker = null;
  var ready = null;
  var waiting = [];

  function start() {
    if (ready) return ready;
    ready = fetch(config.dataset.index)
      .then(function (response) {
        if (!response.ok) throw new Error(response.statusText);
        return response.json();
      })
      .then(function (index) {
        return new Promise(function (resolve, reject) {
          var url = new URL(JSON.parse(material.textContent).search, document.baseURI);
          worker = new Worker(url);
          worker.onerror = reject;
          worker.onmessage = function (event) {
            if (event.data.type === READY) resolve();
            if (event.data.type === RESULT && waiting.length) waiting.shift()(event.data.data);
          };
          worker.postMessage({
            type: SETUP,
            data: { config: index.config, docs: index.docs, options: { suggest: false } }
          });
        });
      });
    return ready;
  }

  function count(query) {
    return start().then(function () {
      return new Promise(function (resolve) {
        waiting.push(function (result) { resolve(result.items.length); });
        worker.postMessage({ type: QUERY, data: query });
      });
    });
  }

  function clear() {
    var old = document.querySelector(".ps-other-form-hits");
    if (old) old.remove();
  }

  function update() {
    var query = input.value.trim();
    clear();
    if (!query || list.children.length) return;
    count(query).then(function (hits) {
      // The reader may have typed on while the other index loaded.
      if (input.value.trim() !== query || list.children.length) return;
      clear();
      if (!hits) return;
      var paragraph = document.createElement("p");
      paragraph.className = "ps-other-form-hits";
      var link = document.createElement("a");
      link.href = config.dataset.link + "?q=" + encodeURIComponent(query);
      link.hreflang = config.dataset.lang;
      link.textContent = config.dataset.text.replace("{count}", String(hits));
      paragraph.appendChild(link);
      meta.insertAdjacentElement("afterend", paragraph);
    }).catch(function () { /* no other index: nothing to offer */ });
  }

  // Material writes the result count into the meta line after every search.
  new MutationObserver(update).observe(meta, { childList: true, characterData: true, subtree: true });
})();
