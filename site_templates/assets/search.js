// The search box (overrides/partials/search.html) over Pagefind's indexes of this written form,
// which generator/search.py makes: each organisation's own, for a search scoped to the reader's
// organisation, and those over every organisation (a large site's in parts, each over some
// organisations' pages), merged for a search widened to all.
// Nothing loads before the reader searches; then pagefind.js, its WebAssembly and the index
// chunks of the words typed, all from this host.
// Scope: the organisation of the page the reader is on, unless they widened it to every
// organisation (remembered in localStorage); one button switches between the two. A search with
// no hits in this written form asks the other form's index and links to its hits
// ("3 treff på nynorsk"). Result titles and excerpts are put in as text, never as HTML.
(function () {
  "use strict";
  var root = document.getElementById("ps-search");
  var toggle = document.getElementById("__search");
  if (!root || !toggle || !window.fetch || !window.WebAssembly) return;
  var input = root.querySelector("#ps-search-query");
  var form = root.querySelector("form");
  var output = root.querySelector(".md-search__output");
  var meta = root.querySelector(".md-search-result__meta");
  var list = root.querySelector(".md-search-result__list");
  var more = root.querySelector("[data-ps-more]");
  var scope = root.querySelector("[data-ps-scope]");
  var strings = JSON.parse(root.dataset.strings);
  var parts = JSON.parse(root.dataset.parts || "[]"); // index folders below a written form's root
  var org = root.dataset.org || "";
  var orgName = root.dataset.orgName || "";
  var SCOPE_KEY = "policy-site.search-scope";
  var PAGE = 10; // results shown at a time
  var widened = false;
  try { widened = localStorage.getItem(SCOPE_KEY) === "all"; } catch (e) { /* private mode */ }
  var bundles = {}; // pagefind.js address -> promise of its module, set up
  var joined = {}; // a written form's root -> promise of its first part's module, others merged
  var current = 0; // the newest search; answers to older ones are dropped
  var results = [];
  var timer = null;
  var typed = ""; // the box's text as last searched or typed

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function pagefind(bundle, siteRoot) {
    if (!bundles[bundle]) {
      var base = new URL(siteRoot, document.baseURI).pathname;
      bundles[bundle] = import(new URL(bundle, document.baseURI).href).then(function (module) {
        return Promise.resolve(module.options({ baseUrl: base, excerptLength: 24 }))
          .then(function () { return module; });
      });
      bundles[bundle].catch(function () { delete bundles[bundle]; }); // try again next time
    }
    return bundles[bundle];
  }

  // Every part's index of the written form at ``siteRoot``: the first part's module with the
  // others merged into it, once.
  function everything(siteRoot) {
    if (!joined[siteRoot]) {
      var base = new URL(siteRoot, document.baseURI).pathname;
      joined[siteRoot] = pagefind(siteRoot + parts[0] + "pagefind.js", siteRoot).then(function (module) {
        // Pagefind adds each index where mergeIndex is called, so the order is the parts'
        // however their files arrive; they load side by side.
        return Promise.all(parts.slice(1).map(function (part) {
          return module.mergeIndex(new URL(siteRoot + part, document.baseURI).pathname, { baseUrl: base });
        })).then(function () { return module; });
      });
      joined[siteRoot].catch(function () { delete joined[siteRoot]; });
    }
    return joined[siteRoot];
  }

  function scoped() { return Boolean(org && root.dataset.bundle) && !widened; }

  function searching(inOrg) {
    return inOrg ? pagefind(root.dataset.bundle, root.dataset.root) : everything(root.dataset.root);
  }

  function showScope() {
    if (!scope) return;
    scope.textContent = widened ? scope.dataset.narrow : scope.dataset.widen;
  }

  function excerpt(paragraph, html) {
    // Pagefind marks the words found with <mark>; everything else goes in as text. A parsed
    // document has no browsing context: nothing in it loads or runs.
    var parsed = new DOMParser().parseFromString("<p>" + (html || "") + "</p>", "text/html");
    var holder = parsed.body.firstElementChild;
    if (!holder) return;
    holder.childNodes.forEach(function (node) {
      if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        paragraph.appendChild(mark);
      } else {
        paragraph.appendChild(document.createTextNode(node.textContent));
      }
    });
  }

  // The section of a page that holds most of the words found (Pagefind's sub-results, one
  // per heading), when it is not the page's top: the result leads there.
  function section(data) {
    var best = null;
    (data.sub_results || []).forEach(function (sub) {
      var found = (sub.locations || []).length;
      if (found && (!best || found > (best.locations || []).length)) best = sub;
    });
    return best && best.url && best.url.indexOf("#") >= 0 && best.title ? best : null;
  }

  function item(data) {
    var entry = document.createElement("li");
    entry.className = "md-search-result__item";
    var link = document.createElement("a");
    link.className = "md-search-result__link";
    var part = section(data);
    link.href = part ? part.url : data.url;
    var article = document.createElement("article");
    article.className = "md-search-result__article md-typeset";
    var title = document.createElement("h1");
    title.textContent = (data.meta && data.meta.title) || data.url;
    article.appendChild(title);
    if (part) {
      var heading = document.createElement("p");
      heading.className = "ps-result-section";
      heading.textContent = part.title;
      article.appendChild(heading);
    }
    var text = document.createElement("p");
    excerpt(text, part ? part.excerpt : data.excerpt);
    article.appendChild(text);
    link.appendChild(article);
    entry.appendChild(link);
    return entry;
  }

  // Words of a text as Pagefind finds them: its parts between punctuation, and each
  // space-separated token joined ("e-post" is "e", "post" and "epost").
  function words(text) {
    var found = [];
    String(text || "").toLowerCase().split(/\s+/).forEach(function (token) {
      var parts = token.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
      found.push.apply(found, parts);
      if (parts.length > 1) found.push(parts.join(""));
    });
    return found;
  }

  // Whether a page holds every word of the query, or a form of it. Pagefind, finding no word
  // that begins with a query's word, looks for its longest beginning that some word has
  // ("hjemmekontor" on a Nynorsk page finds "hjem", "forsikkring" finds "for"): such a page is
  // no hit. A word counts as found when a word of the page shares its beginning, all of a
  // short word (four letters or fewer), else all but its last four letters: room for the
  // endings the Norwegian stemmer takes off ("forsikringane", "forsikringa").
  function holds(data, query) {
    var own = words(data.content + " " + ((data.meta && data.meta.title) || ""));
    return words(query).every(function (term) {
      var need = term.length <= 4 ? term.length : Math.max(4, term.length - 4);
      var start = term.slice(0, need);
      return own.some(function (word) { return word.slice(0, need) === start; });
    });
  }

  // How many hits ``found`` holds for ``query``: none when its best one is only Pagefind's
  // guess at a beginning (a better match would rank above it), else all it says for now.
  function hits(found, query) {
    if (!found || !found.results.length) return Promise.resolve(0);
    return found.results[0].data().then(function (data) {
      return holds(data, query) ? found.results.length : 0;
    });
  }

  // The next results, or with ``fresh`` the first ones in place of the last search's; true once
  // they are shown (false when a newer search came first). A result that does not hold the
  // query (see ``holds``) is dropped from ``results`` when it comes to be shown.
  function showMore(number, fresh, query, tries) {
    var start = fresh ? 0 : list.children.length;
    var batch = results.slice(start, start + PAGE);
    return Promise.all(batch.map(function (result) { return result.data(); }))
      .then(function (pages) {
        if (number !== current) return false;
        if (fresh) list.textContent = "";
        var kept = [];
        pages.forEach(function (data, index) {
          if (holds(data, query)) {
            list.appendChild(item(data));
            kept.push(batch[index]);
          }
        });
        results.splice.apply(results, [start, batch.length].concat(kept));
        more.hidden = list.children.length >= results.length;
        // Fill the page with hits that hold, a few batches at most: the rest waits for "more".
        if (kept.length < batch.length && !more.hidden && (tries || 0) < 3) {
          return showMore(number, false, query, (tries || 0) + 1);
        }
        return true;
      });
  }

  function clearOther() {
    root.querySelectorAll(".ps-other-form-hits, .ps-wider-hits").forEach(function (old) {
      old.remove();
    });
  }

  // No hit in the reader's organisation, some in others: one button widens the search.
  function offerWider(count, number) {
    if (number !== current || !scope) return;
    clearOther();
    var paragraph = document.createElement("p");
    paragraph.className = "ps-wider-hits";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "ps-search-scope__button";
    button.textContent = fill(strings.count_all, { count: count });
    button.addEventListener("click", function () { scope.click(); input.focus(); });
    paragraph.appendChild(button);
    meta.insertAdjacentElement("afterend", paragraph);
  }

  function offerOther(query, number) {
    var link = root.dataset.otherLink;
    if (!link || !parts.length) return;
    everything(link) // the other written form has the same parts
      .then(function (other) { return other.search(query); })
      .then(function (found) { return hits(found, query); })
      .then(function (count) {
        if (number !== current || !count) return;
        clearOther();
        var paragraph = document.createElement("p");
        paragraph.className = "ps-other-form-hits";
        var anchor = document.createElement("a");
        anchor.href = link + "?q=" + encodeURIComponent(query);
        anchor.hreflang = root.dataset.otherLang;
        anchor.textContent = fill(root.dataset.otherText, { count: count });
        paragraph.appendChild(anchor);
        meta.insertAdjacentElement("afterend", paragraph);
      })
      .catch(function () { /* no index there: nothing to offer */ });
  }

  function run() {
    typed = input.value;
    var query = input.value.trim();
    var number = ++current;
    var inOrg = scoped();
    clearOther();
    if (!query) {
      list.textContent = "";
      more.hidden = true;
      meta.textContent = strings.ready;
      return;
    }
    meta.textContent = strings.loading;
    searching(inOrg)
      .then(function (module) { return module.search(query); })
      .then(function (found) {
        if (number !== current || !found) return;
        return hits(found, query).then(function (count) {
          results = count ? found.results.slice() : [];
          // The count is said once the results it counts are in the list.
          return showMore(number, true, query);
        }).then(function (shown) {
          if (!shown) return;
          var count = results.length;
          if (inOrg) meta.textContent = fill(strings.count_in, { count: count, name: orgName });
          else meta.textContent = count ? fill(strings.count, { count: count }) : strings.none;
          // No hit in this written form (any organisation's page of it): offer the other one's.
          if (count) return;
          var elsewhere = inOrg
            ? everything(root.dataset.root).then(function (all) { return all.search(query); })
              .then(function (wider) { return hits(wider, query); })
            : Promise.resolve(0);
          elsewhere.then(function (wider) {
            if (wider) offerWider(wider, number);
            else offerOther(query, number);
          });
        });
      })
      .catch(function () {
        if (number === current) meta.textContent = strings.failed;
      });
  }

  // Typing searches once the reader pauses (120 ms), not at every letter. A query that
  // arrives whole (pasted, filled in, chosen from a list: more than one letter at once) is
  // searched at once.
  function later() {
    clearTimeout(timer);
    var whole = Math.abs(input.value.length - typed.length) > 1;
    typed = input.value;
    if (whole) {
      run();
      return;
    }
    meta.textContent = strings.loading; // at once: what the list shows is no longer the answer
    timer = setTimeout(run, 120);
  }

  function open(isOpen) {
    if (toggle.checked !== isOpen) toggle.checked = isOpen;
    output.inert = !isOpen; // closed results are out of the tab order
  }

  // The places the arrow keys move between: the box, then what the output offers.
  function stops() {
    var found = output.querySelectorAll("button:not([hidden]), a[href]");
    return [input].concat(Array.prototype.slice.call(found));
  }

  showScope();
  output.inert = true;
  input.addEventListener("focus", function () {
    open(true);
    // Fetch Pagefind's script, WebAssembly and metadata while the reader starts typing.
    searching(scoped())
      .then(function (module) { return module.init(); })
      .catch(function () { /* the search says so when it is used */ });
  });
  input.addEventListener("input", later);
  toggle.addEventListener("change", function () {
    open(toggle.checked);
    if (toggle.checked) input.focus();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var first = list.querySelector("a[href]");
    if (first) first.click();
  });
  form.addEventListener("reset", function () {
    setTimeout(function () { run(); input.focus(); }, 0);
  });
  more.addEventListener("click", function () {
    var before = list.children.length;
    showMore(current, false, input.value.trim()).then(function () {
      if (!scoped()) meta.textContent = fill(strings.count, { count: results.length });
      else meta.textContent = fill(strings.count_in, { count: results.length, name: orgName });
      // Focus goes on to the first new result, not to a button that may now be hidden.
      var next = list.children[before] && list.children[before].querySelector("a");
      if (next) next.focus();
    });
  });
  if (scope) {
    scope.addEventListener("click", function () {
      widened = !widened;
      try { localStorage.setItem(SCOPE_KEY, widened ? "all" : "org"); } catch (e) { /* kept for this page */ }
      showScope();
      run();
    });
  }
  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      open(false);
      input.blur();
      return;
    }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    var all = stops();
    var at = all.indexOf(document.activeElement);
    if (at < 0) return;
    var next = at + (event.key === "ArrowDown" ? 1 : -1);
    if (next < 0 || next >= all.length) return;
    event.preventDefault();
    all[next].focus();
  });
  // Leaving the search (by Tab or a click elsewhere) closes it, as Material's does.
  root.addEventListener("focusout", function (event) {
    if (!event.relatedTarget || !root.contains(event.relatedTarget)) {
      setTimeout(function () {
        if (!root.contains(document.activeElement)) open(false);
      }, 0);
    }
  });

  // Material's keys to the search box: "/", "s" or "f" where no text is being typed.
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) return;
    if (["/", "s", "f"].indexOf(event.key) < 0) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    event.preventDefault();
    input.focus();
  });

  // A link from the other written form opens the search with its query (?q=).
  var asked = new URLSearchParams(location.search).get("q");
  if (asked) {
    input.value = asked;
    input.focus();
    run();
  }
})();
