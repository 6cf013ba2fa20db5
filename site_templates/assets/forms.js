// Form pages: keep the reader's answers in this browser only (localStorage), restore them on
// reload, clear them on request, and check required fields with an error summary that links to
// each field. Nothing is sent anywhere.
(function () {
  "use strict";

  // pdf-lib sits next to this file (assets/vendor/) and is loaded only when a PDF is made.
  var here = document.currentScript ? document.currentScript.src : "";
  var PDF_LIB = here.replace(/forms\.js(\?.*)?$/, "vendor/pdf-lib.min.js");

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

  // A number as the reader writes it: "2,5" or "2.5"; NaN when it is not one.
  function readNumber(text) {
    var plain = text.trim().replace(/\s+/g, "").replace(",", ".");
    return /^[-+]?\d+(\.\d+)?$/.test(plain) ? parseFloat(plain) : NaN;
  }

  function writeNumber(value) {
    return String(value).replace(".", ",");
  }

  // A question that applies only with a given answer to another (data-show-if).
  function applies(form, container) {
    var name = container.dataset.showIf;
    if (!name) return true;
    var wanted = container.dataset.showValue;
    return Array.prototype.some.call(form.querySelectorAll("[name='" + name + "']"), function (el) {
      if (el.type === "radio" || el.type === "checkbox") return el.checked && el.value === wanted;
      return el.value === wanted;
    });
  }

  function showApplicable(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (container) {
      container.hidden = !applies(form, container);
    });
  }

  // An answer that is there but breaks a rule of the form: a number that is not one or is out
  // of bounds, a date not after the one it must follow. The message, or "".
  function ruleProblem(form, el, label) {
    var msg = form.dataset;
    var value = el.value.trim();
    if (!value) return "";
    if (el.hasAttribute("data-number")) {
      var number = readNumber(value);
      if (isNaN(number)) return msg.msgNumber.replace("{label}", label);
      if (el.dataset.min !== undefined && number < parseFloat(el.dataset.min)) {
        return msg.msgMin.replace("{label}", label).replace("{limit}", writeNumber(el.dataset.min));
      }
      if (el.dataset.max !== undefined && number > parseFloat(el.dataset.max)) {
        return msg.msgMax.replace("{label}", label).replace("{limit}", writeNumber(el.dataset.max));
      }
    }
    if (el.dataset.after) {
      var other = form.querySelector("[name='" + el.dataset.after + "']");
      var otherBox = other && other.closest("[data-field]");
      if (other && other.value && value <= other.value) {  // ISO dates compare as text
        return msg.msgAfter.replace("{label}", label).replace("{other}", labelOf(otherBox));
      }
    }
    return "";
  }

  // Every required question without an answer and every answer that breaks a rule, in page
  // order, among the questions that apply: [container, message, target].
  function problems(form) {
    var msg = form.dataset;
    var found = [];
    form.querySelectorAll("[data-field]").forEach(function (container) {
      if (container.closest("[hidden]")) return;
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
      if (!el) return;
      // dated.js gives date fields a min of today: an earlier day typed in is an error too.
      if (el.type === "date" && el.value && el.min && el.value < el.min) {
        found.push([container, msg.msgDate.replace("{label}", label), el]);
        return;
      }
      var broken = ruleProblem(form, el, label);
      if (broken) {
        found.push([container, broken, el]);
        return;
      }
      if (!el.required) return;
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

  function loadPdfLib() {
    if (window.PDFLib) return Promise.resolve(window.PDFLib);
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = PDF_LIB;
      script.onload = function () { resolve(window.PDFLib); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function norwegianDate(iso) {
    var parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
    return parts ? parts[3] + "." + parts[2] + "." + parts[1] : iso;
  }

  function today() {
    var now = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return pad(now.getDate()) + "." + pad(now.getMonth() + 1) + "." + now.getFullYear();
  }

  // "<form title> – <first name field> – <date>.pdf", without characters file systems refuse.
  function fileName(form) {
    var first = form.querySelector("input[type=text]");
    var parts = [form.dataset.title, first && first.value.trim(), today()];
    return parts.filter(Boolean).join(" \u2013 ").replace(/[\\/:*?"<>|\u0000-\u001f]+/g, " ") + ".pdf";
  }

  // The form's own fillable PDF with the reader's answers: same field names and export values
  // as the web form, appearances drawn for every text field so that every viewer shows them,
  // still fillable. Everything happens in this browser.
  function filledPdf(form, href) {
    return Promise.all([loadPdfLib(), fetch(href, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.arrayBuffer();
      })]).then(function (loaded) {
      var lib = loaded[0];
      return lib.PDFDocument.load(loaded[1]).then(function (doc) {
        return doc.embedFont(lib.StandardFonts.Helvetica).then(function (font) {
          var pdfForm = doc.getForm();
          var texts = [];
          var viewerDraws = false;
          fields(form).forEach(function (el) {
            var field = pdfForm.getFieldMaybe(el.name);
            if (!field || el.closest("[hidden]")) return;  // a question that does not apply
            if (field instanceof lib.PDFCheckBox) {
              if (el.checked) field.check(); else field.uncheck();
            } else if (field instanceof lib.PDFRadioGroup) {
              if (el.checked) field.select(el.value);
            } else if (field instanceof lib.PDFDropdown) {
              if (el.value) field.select(el.value); else field.clear();
            } else if (field instanceof lib.PDFTextField) {
              field.setText(el.type === "date" ? norwegianDate(el.value) : el.value);
              texts.push(field);
            }
          });
          texts.forEach(function (field) {
            // Helvetica (WinAnsi) has æ, ø, å and the dash; for a rarer letter the viewer draws
            // the field from its own embedded font.
            try { field.updateAppearances(font); } catch (e) { viewerDraws = true; }
          });
          if (viewerDraws) {
            pdfForm.acroForm.dict.set(lib.PDFName.of("NeedAppearances"), lib.PDFBool.True);
          }
          return doc.save({ updateFieldAppearances: false });
        });
      });
    });
  }

  function offer(bytes, name) {
    var url = URL.createObjectURL(new Blob([bytes], { type: "application/pdf" }));
    var link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  // Print: a date input prints in the browser's own format, so a copy written dd.mm.yyyy
  // prints instead; kept up to date as the reader types.
  function printDates(form) {
    form.querySelectorAll("input[type=date]").forEach(function (el) {
      var copy = el.nextElementSibling;
      if (!copy || !copy.classList.contains("ps-print-value")) {
        copy = document.createElement("span");
        copy.className = "ps-print-value";
        copy.setAttribute("aria-hidden", "true");
        el.after(copy);
        el.classList.add("ps-has-print-value");
      }
      copy.textContent = norwegianDate(el.value);
    });
  }

  function printFooter() {
    var meta = document.querySelector("[data-print-footer]");
    if (!meta) return;
    var root = document.documentElement.style;
    root.setProperty("--ps-footer", JSON.stringify(meta.dataset.printFooter));
    root.setProperty("--ps-page", JSON.stringify(meta.dataset.printPage));
    root.setProperty("--ps-of", JSON.stringify(meta.dataset.printOf));
  }

  function init(form) {
    var key = form.dataset.storageKey;
    var status = form.querySelector(".ps-status");
    var store = null;
    try { store = window.localStorage; } catch (e) { store = null; }

    if (store && key) {
      try { write(form, JSON.parse(store.getItem(key) || "{}")); } catch (e) { /* bad draft */ }
    }

    printDates(form);
    showApplicable(form);
    form.addEventListener("change", function () { showApplicable(form); });
    form.addEventListener("input", function () { printDates(form); });
    form.addEventListener("change", function () { printDates(form); });
    form.addEventListener("reset", function () {
      setTimeout(function () { printDates(form); showApplicable(form); });
    });

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

    var download = form.querySelector("[data-ps-download]");
    var blank = document.querySelector(".ps-pdf a[type='application/pdf']");
    if (download && blank) {
      download.addEventListener("click", function () {
        download.disabled = true;
        filledPdf(form, blank.href).then(function (bytes) {
          offer(bytes, fileName(form));
          if (status) status.textContent = form.dataset.msgDownloaded;
        }).catch(function () {
          if (status) status.textContent = form.dataset.msgDownloadFailed;
        }).then(function () { download.disabled = false; });
      });
    } else if (download) {
      download.remove();
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
  printFooter();
  // Controls that need this script show only now; the note for readers without it goes.
  document.querySelectorAll("[data-ps-needs-js]").forEach(function (el) { el.hidden = false; });
  document.querySelectorAll("[data-ps-nojs]").forEach(function (el) { el.hidden = true; });
})();
