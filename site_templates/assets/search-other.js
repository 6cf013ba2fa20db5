// A search with no hits in this written form says how many pages the other one has for it
// ("3 treff på nynorsk") and links to that search. The other site's index is on the same
// host; it is fetched once, on the first search that finds nothing.
(function () {
  "use strict";
  var config = document.getElementById("ps-other-form");
  var meta = document.querySelector(".md-search-result__meta");
  var list = document.querySelector(".md-search-result__list");
  var input = document.querySelector("[data-md-component=search-query]");
  if (!config || !meta || !list || !input) return;
  var index = null;

  function load() {
    if (!index) {
      index = fetch(config.dataset.index).then(function (response) {
        if (!response.ok) throw new Error(response.statusText);
        return response.json();
      });
    }
    return index;
  }

  function words(text, separator) {
    return text.toLowerCase().split(separator).filter(Boolean);
  }

  // Pages (not sections) where every word of the query starts a word of the page.
  function count(data, query) {
    var separator = new RegExp(data.config.separator);
    var wanted = words(query, separator);
    if (!wanted.length) return 0;
    var pages = {};
    data.docs.forEach(function (doc) {
      var text = (doc.title + " " + doc.text).replace(/<[^>]*>/g, " ");
      var have = words(text, separator);
      var all = wanted.every(function (word) {
        return have.some(function (token) { return token.indexOf(word) === 0; });
      });
      if (all) pages[doc.location.split("#")[0]] = true;
    });
    return Object.keys(pages).length;
  }

  function clear() {
    var old = document.querySelector(".ps-other-form-hits");
    if (old) old.remove();
  }

  function update() {
    var query = input.value.trim();
    clear();
    if (!query || list.children.length) return;
    load().then(function (data) {
      // The reader may have typed on while the index loaded.
      if (input.value.trim() !== query || list.children.length) return;
      var hits = count(data, query);
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
