// Form pages: keep the reader's answers in this browser only (localStorage), restore them on
// reload, clear them on request, and check required fields with an error summary that links to
// each field. Nothing is sent anywhere.
(function () {
  "use strict";

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.type !== "submit" && el.type !== "button";
    });
  }

  function read(form) {
    var data = {};
    fields(form).forEach(function (el) {
      if (el.type === "checkbox") {
        if (el.checked) data[el.name] = true;
      } else if (el.type === "radio") {
        if (el.checked) data[el.name] = el.value;
      } else if (el.value !== "") {
        data[el.name] = el.value;
      }
    });
    return data;
  }

  function write(form, data) {
    fields(form).forEach(function (el) {
      if (!(el.name in data)) return;
      if (el.type === "checkbox") el.checked = data[el.name] === true;
      else if (el.type === "radio") el.checked = data[el.name] === el.value;
      else el.value = data[el.name];
    });
  }

  function setError(form, container, message) {
    var error = container.querySelector(":scope > .ps-error");
    if (!error) return;
    error.textContent = message || "";
    error.hidden = !message;
    container.classList.toggle("ps-field--error", !!message);
    container.querySelectorAll("input, textarea, select").forEach(function (el) {
      if (message) el.setAttribute("aria-invalid", "true");
      else el.removeAttribute("aria-invalid");
    });
  }

  function labelOf(container) {
    var label = container.querySelector(":scope > label, :scope > legend");
    if (!label) return "";
    var clone = label.cloneNode(true);
    clone.querySelectorAll(".ps-required").forEach(function (el) { el.remove(); });
    return clone.textContent.trim();
  }

  // Every required question that has no answer, in page order: [container, message, target].
  function problems(form) {
    var msg = form.dataset;
    var found = [];
    form.querySelectorAll("[data-field]").forEach(function (container) {
      var label = labelOf(container);
      if (container.dataset.requiredOne) {
        var boxes = container.querySelectorAll("input[type=checkbox]");
        var ticked = Array.prototype.some.call(boxes, function (b) { return b.checked; });
        if (!ticked) found.push([container, msg.msgOne.replace("{label}", label), boxes[0]]);
        return;
      }
      if (container.dataset.kind === "radio") {
        var radios = container.querySelectorAll("input[type=radio]");
        if (!radios.length || !radios[0].required) return;
        var chosen = Array.prototype.some.call(radios, function (r) { return r.checked; });
        if (!chosen) found.push([container, msg.msgChoose.replace("{label}", label), radios[0]]);
        return;
      }
      var el = container.querySelector(":scope > input, :scope > textarea, :scope > select");
      if (!el || !el.required) return;
      if (el.type === "checkbox") {
        if (!el.checked) found.push([container, msg.msgTick.replace("{label}", label), el]);
      } else if (el.value.trim() === "") {
        var text = el.tagName === "SELECT" ? msg.msgChoose : msg.msgFill;
        found.push([container, text.replace("{label}", label), el]);
      }
    });
    return found;
  }

  function showSummary(form, found) {
    var summary = form.querySelector(".ps-error-summary");
    var list = summary.querySelector("ul");
    list.textContent = "";
    found.forEach(function (problem) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "#" + problem[2].id;
      link.textContent = problem[1];
      link.addEventListener("click", function (event) {
        event.preventDefault();
        problem[2].focus();
        problem[0].scrollIntoView({ block: "center" });
      });
      item.appendChild(link);
      list.appendChild(item);
    });
    summary.hidden = found.length === 0;
    if (found.length) summary.focus();
  }

  function init(form) {
    var key = form.dataset.storageKey;
    var status = form.querySelector(".ps-status");
    var store = null;
    try { store = window.localStorage; } catch (e) { store = null; }

    if (store && key) {
      try { write(form, JSON.parse(store.getItem(key) || "{}")); } catch (e) { /* bad draft */ }
    }

    function save() {
      if (!store || !key) return;
      store.setItem(key, JSON.stringify(read(form)));
      if (status) status.textContent = form.dataset.msgSaved;
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);

    // The form never submits (method="dialog", no submit button); Enter does nothing either.
    form.addEventListener("submit", function (event) { event.preventDefault(); });

    function check() {
      form.querySelectorAll("[data-field]").forEach(function (c) { setError(form, c, ""); });
      var found = problems(form);
      found.forEach(function (problem) { setError(form, problem[0], problem[1]); });
      showSummary(form, found);
      return found.length === 0;
    }

    var checkButton = form.querySelector("[data-ps-check]");
    if (checkButton) {
      checkButton.addEventListener("click", function () {
        if (check()) window.print();
      });
    }

    var clear = form.querySelector("[data-ps-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        if (store && key) store.removeItem(key);
        form.reset();
        form.querySelectorAll("[data-field]").forEach(function (c) { setError(form, c, ""); });
        showSummary(form, []);
        if (status) status.textContent = form.dataset.msgCleared;
      });
    }
  }

  document.querySelectorAll("form[data-ps-form]").forEach(init);
  // Controls that need this script show only now; the note for readers without it goes.
  document.querySelectorAll("[data-ps-needs-js]").forEach(function (el) { el.hidden = false; });
  document.querySelectorAll("[data-ps-nojs]").forEach(function (el) { el.hidden = true; });
})();
