// Form pages: keep the reader's answers in this browser only (localStorage), as several named
// drafts per form, restore them on reload, clear them after asking, check them against the
// form's rules with an error summary that links to each field, and show every answer for a last
// look ("check your answers") before printing or downloading. Nothing is sent anywhere.
// forms-files.js adds opening and saving files and the calendar on top (window.psForms).
(function () {
  "use strict";

  // pdf-lib and fontkit sit next to this file (assets/vendor/) and load only when a PDF is made.
  var here = document.currentScript ? document.currentScript.src : "";
  var PDF_LIB = here.replace(/forms\.js(\?.*)?$/, "vendor/pdf-lib.min.js");
  var FONTKIT = here.replace(/forms\.js(\?.*)?$/, "vendor/fontkit.min.js");

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
      if (!Object.prototype.hasOwnProperty.call(data, el.name)) return;
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

  // A question required only while a number answered elsewhere is above a limit
  // (data-required-if): the message saying so, or "" when it is not required now.
  function requiredBy(form, container) {
    var name = container.dataset.requiredIf;
    if (!name) return "";
    var other = form.querySelector("[name='" + name + "']");
    if (!other || other.closest("[hidden]")) return "";
    if (!(readNumber(other.value) > parseFloat(container.dataset.requiredAbove))) return "";
    return form.dataset.msgRequiredAbove.replace("{label}", labelOf(container))
      .replace("{other}", labelOf(other.closest("[data-field]")))
      .replace("{limit}", writeNumber(container.dataset.requiredAbove));
  }

  function showApplicable(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (container) {
      container.hidden = !applies(form, container);
    });
    form.querySelectorAll("[data-required-if]").forEach(function (container) {
      var el = container.querySelector(":scope > input, :scope > textarea, :scope > select");
      if (el) el.setAttribute("aria-required", requiredBy(form, container) ? "true" : "false");
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
      if (!el.required) {
        var because = requiredBy(form, container);
        if (because && el.value.trim() === "") found.push([container, because, el]);
        return;
      }
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

  // A script of the site's, once; resolves to the global it defines.
  function loadScript(src, global) {
    if (window[global]) return Promise.resolve(window[global]);
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = function () { resolve(window[global]); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  // The font the form's text fields are set in, as the PDF embeds it (the whole field font, so
  // that any letter can be typed), embedded again with only the glyphs the answers use: every
  // font of the filled PDF is in the file, as archiving and PDF/UA ask, and the answers look
  // the same in every viewer.
  function fieldFont(lib, doc) {
    return loadScript(FONTKIT, "fontkit").then(function (fontkit) {
      var name = null;
      doc.getForm().getFields().some(function (field) {
        if (!(field instanceof lib.PDFTextField)) return false;
        var found = /\/([^\s\/]+)\s+[\d.]+\s+Tf/.exec(field.acroField.getDefaultAppearance() || "");
        name = found && found[1];
        return Boolean(name);
      });
      if (!name) throw new Error("no text field names its font");
      var Name = lib.PDFName.of;
      var font = doc.getForm().acroForm.dict.lookup(Name("DR"), lib.PDFDict)
        .lookup(Name("Font"), lib.PDFDict).lookup(Name(name), lib.PDFDict);
      var program = font.lookup(Name("DescendantFonts"), lib.PDFArray).lookup(0, lib.PDFDict)
        .lookup(Name("FontDescriptor"), lib.PDFDict).lookup(Name("FontFile2"));
      doc.registerFontkit(fontkit);
      return doc.embedFont(lib.decodePDFRawStream(program).decode(), { subset: true });
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
  function fileName(form, extension) {
    var first = form.querySelector("input[type=text]");
    var parts = [form.dataset.title, first && first.value.trim(), today()];
    return parts.filter(Boolean).join(" \u2013 ").replace(/[\\/:*?"<>|\u0000-\u001f]+/g, " ") +
      (extension || ".pdf");
  }

  // The form's own fillable PDF with the reader's answers: same field names and export values
  // as the web form, appearances drawn for every text field so that every viewer shows them,
  // still fillable. Everything happens in this browser.
  function filledPdf(form, href) {
    return Promise.all([loadScript(PDF_LIB, "PDFLib"), fetch(href, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.arrayBuffer();
      })]).then(function (loaded) {
      var lib = loaded[0];
      return lib.PDFDocument.load(loaded[1]).then(function (doc) {
        return fieldFont(lib, doc).catch(function () {
          return doc.embedFont(lib.StandardFonts.Helvetica); // a PDF without a field font
        }).then(function (font) {
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
            // Where a letter cannot be drawn, the viewer draws the field from its own font.
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

  function offer(bytes, name, type) {
    var url = URL.createObjectURL(new Blob([bytes], { type: type || "application/pdf" }));
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

  // ------------------------------------------------------------------ drafts

  // All drafts of one form in one localStorage entry: {active: id, drafts: [{id, name,
  // answers}]}. An entry from before drafts had names (the answers alone) is one draft.
  function Drafts(store, key, nameField) {
    this.store = store;
    this.key = key;
    this.nameField = nameField;
  }

  Drafts.prototype.load = function () {
    var state = null;
    try { state = JSON.parse(this.store.getItem(this.key) || "null"); } catch (e) { state = null; }
    if (!state || typeof state !== "object") return { active: null, drafts: [] };
    if (!Array.isArray(state.drafts)) return { active: "d1", drafts: [{ id: "d1", name: "", answers: state }] };
    return state;
  };

  Drafts.prototype.save = function (state) {
    if (state.drafts.length) this.store.setItem(this.key, JSON.stringify(state));
    else this.store.removeItem(this.key);
  };

  Drafts.prototype.find = function (state, id) {
    return state.drafts.filter(function (d) { return d.id === id; })[0] || null;
  };

  // What a draft is called: the name typed for it, else the name it holds (the form's first
  // text field: the employee), else "unnamed".
  Drafts.prototype.title = function (draft, unnamed) {
    var held = this.nameField && draft.answers ? draft.answers[this.nameField] : "";
    return (draft.name || (typeof held === "string" ? held.trim() : "") || unnamed);
  };

  function newId() {
    return "d" + Date.now().toString(36) + Math.random().toString(36).slice(2, 6);
  }

  function isEmpty(answers) {
    return Object.keys(answers).length === 0;
  }

  // ------------------------------------------------------------------ dialogs

  // A modal <dialog> that asks before something is deleted. Focus starts on "Cancel" (the safe
  // answer) and goes back where it was; Escape cancels. Resolves true when confirmed.
  function confirmDialog(kind, name) {
    var dialog = document.getElementById("ps-confirm");
    if (!dialog || !dialog.showModal) return Promise.resolve(true);
    var opener = document.activeElement;
    var data = dialog.dataset;
    dialog.querySelector("#ps-confirm-title").textContent = data[kind + "Title"];
    dialog.querySelector("#ps-confirm-text").textContent = data[kind + "Text"].replace("{name}", name || "");
    dialog.querySelector("[data-ps-confirm-yes]").textContent = data[kind + "Yes"];
    dialog.returnValue = "";
    return new Promise(function (resolve) {
      function closed() {
        dialog.removeEventListener("close", closed);
        if (opener && opener.isConnected && opener.focus) opener.focus();
        resolve(dialog.returnValue === "yes");
      }
      dialog.addEventListener("close", closed);
      dialog.showModal();
      dialog.querySelector("[data-ps-confirm-no]").focus();
    });
  }

  function wireConfirm() {
    var dialog = document.getElementById("ps-confirm");
    if (!dialog) return;
    dialog.querySelector("[data-ps-confirm-yes]").addEventListener("click", function () { dialog.close("yes"); });
    dialog.querySelector("[data-ps-confirm-no]").addEventListener("click", function () { dialog.close("no"); });
  }

  // ------------------------------------------------------------------ check your answers

  function answerOf(box, words) {
    var kind = box.dataset.kind;
    if (kind === "checkboxes") {
      return Array.prototype.filter.call(box.querySelectorAll("input[type=checkbox]"), function (b) {
        return b.checked;
      }).map(function (b) { return labelOf(b.closest("[data-field]")); }).join(", ");
    }
    if (kind === "radio") {
      var chosen = box.querySelector("input[type=radio]:checked");
      var label = chosen && box.querySelector("label[for='" + chosen.id + "']");
      return label ? label.textContent.trim() : "";
    }
    var el = box.querySelector(":scope > input, :scope > textarea, :scope > select");
    if (!el) return "";
    if (el.type === "checkbox") return el.checked ? words.yes : "";
    if (el.tagName === "SELECT") return el.value ? el.options[el.selectedIndex].text : "";
    if (el.type === "date") return norwegianDate(el.value);
    return el.value.trim();
  }

  // One list per section of every question that applies, its answer and an "Change" link to
  // it (the GOV.UK "check your answers" pattern).
  function fillReview(form, review, goTo) {
    var holder = review.querySelector(".ps-review__sections");
    var words = holder.dataset;
    holder.textContent = "";
    form.querySelectorAll(".ps-section").forEach(function (section) {
      var rows = [];
      section.querySelectorAll("[data-field]").forEach(function (box) {
        if (box.closest("[hidden]")) return;
        if (box.dataset.kind === "signature" || box.dataset.kind === "equipment") return;
        var group = box.parentElement.closest("[data-field]");
        if (group && group.dataset.kind === "checkboxes") return;  // the group is one row
        var target = box.querySelector("input, textarea, select");
        if (target) rows.push([labelOf(box), answerOf(box, words), target, box]);
      });
      if (!rows.length) return;
      var heading = document.createElement("h3");
      heading.textContent = section.querySelector(".ps-section__legend").textContent.trim();
      var list = document.createElement("dl");
      list.className = "ps-summary-list";
      rows.forEach(function (row) {
        var line = document.createElement("div");
        line.className = "ps-summary-list__row";
        var key = document.createElement("dt");
        key.className = "ps-summary-list__key";
        key.textContent = row[0];
        var value = document.createElement("dd");
        value.className = "ps-summary-list__value" + (row[1] ? "" : " ps-summary-list__value--none");
        value.textContent = row[1] || words.none;
        var actions = document.createElement("dd");
        actions.className = "ps-summary-list__actions";
        var link = document.createElement("a");
        link.href = "#" + row[2].id;
        link.textContent = words.change;
        var hidden = document.createElement("span");
        hidden.className = "ps-visually-hidden";
        hidden.textContent = " " + row[0];
        link.appendChild(hidden);
        link.addEventListener("click", function (event) {
          event.preventDefault();
          goTo(row[2], row[3]);
        });
        actions.appendChild(link);
        line.append(key, value, actions);
        list.appendChild(line);
      });
      holder.append(heading, list);
    });
  }

  // ------------------------------------------------------------------ one form

  var controllers = new WeakMap();

  function init(form) {
    var key = form.dataset.storageKey;
    var status = form.querySelector(".ps-status");
    var store = null;
    try { store = window.localStorage; } catch (e) { store = null; }
    var first = form.querySelector("input[type=text]");
    var drafts = store && key ? new Drafts(store, key, first && first.name) : null;
    var draftsDialog = document.getElementById("ps-drafts");
    var review = document.getElementById("ps-review");
    var active = null;  // id of the draft on screen; null until something is typed

    function say(text) { if (status) status.textContent = text; }

    function refresh() {
      printDates(form);
      showApplicable(form);
      form.dispatchEvent(new CustomEvent("ps-refresh"));
    }

    function clearErrors() {
      form.querySelectorAll("[data-field]").forEach(function (c) { setError(form, c, ""); });
      showSummary(form, []);
    }

    // The form holding exactly these answers (and nothing of the draft before).
    function show(answers) {
      form.reset();
      write(form, answers || {});
      clearErrors();
      closeReview();
      refresh();
    }

    if (drafts) {
      var state = drafts.load();
      var current = drafts.find(state, state.active);
      if (current) {
        active = current.id;
        write(form, current.answers || {});
      }
    }

    refresh();
    form.addEventListener("change", function () { showApplicable(form); });
    form.addEventListener("input", function () { printDates(form); showApplicable(form); });
    form.addEventListener("change", function () { printDates(form); });
    form.addEventListener("reset", function () {
      setTimeout(function () { printDates(form); showApplicable(form); });
    });

    function save() {
      if (!drafts) return;
      var state = drafts.load();  // another tab may have changed the other drafts
      var draft = drafts.find(state, active);
      if (!draft) {
        draft = { id: active || newId(), name: "", answers: {} };
        state.drafts.push(draft);
        active = draft.id;
      }
      draft.answers = read(form);
      state.active = active;
      drafts.save(state);
      say(form.dataset.msgSaved);
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);

    // Start a new draft (named, or named later by what is typed) holding these answers.
    function startDraft(name, answers) {
      if (drafts) {
        var state = drafts.load();
        var draft = { id: newId(), name: name || "", answers: answers || {} };
        state.drafts.push(draft);
        state.active = active = draft.id;
        drafts.save(state);
      }
      show(answers);
    }

    // The form never submits (method="dialog", no submit button); Enter does nothing either.
    form.addEventListener("submit", function (event) { event.preventDefault(); });

    function check() {
      clearErrors();
      var found = problems(form);
      found.forEach(function (problem) { setError(form, problem[0], problem[1]); });
      showSummary(form, found);
      return found.length === 0;
    }

    function openReview() {
      if (!review) return;
      fillReview(form, review, function (target, box) {
        closeReview();
        target.focus();
        box.scrollIntoView({ block: "center" });
      });
      review.hidden = false;
      form.classList.add("ps-form--reviewing");
      var heading = review.querySelector("#ps-review-title");
      heading.focus();
      heading.scrollIntoView({ block: "start" });
    }

    function closeReview() {
      if (!review) return;
      review.hidden = true;
      form.classList.remove("ps-form--reviewing");
    }

    var checkButton = form.querySelector("[data-ps-check]");
    if (checkButton) {
      checkButton.addEventListener("click", function () {
        if (!check()) return;
        if (review) openReview(); else window.print();
      });
    }

    var blank = document.querySelector(".ps-pdf a[type='application/pdf']");
    function download(button) {
      button.disabled = true;
      filledPdf(form, blank.href).then(function (bytes) {
        offer(bytes, fileName(form));
        say(form.dataset.msgDownloaded);
      }).catch(function () {
        say(form.dataset.msgDownloadFailed);
      }).then(function () { button.disabled = false; });
    }
    [form.querySelector("[data-ps-download]"),
      review && review.querySelector("[data-ps-review-download]")].forEach(function (button) {
      if (!button) return;
      if (blank) button.addEventListener("click", function () { download(button); });
      else button.remove();
    });

    if (review) {
      review.querySelector("[data-ps-review-print]").addEventListener("click", function () {
        window.print();  // the print stylesheet prints the form itself, not this list
      });
      review.querySelector("[data-ps-review-back]").addEventListener("click", function () {
        closeReview();
        if (checkButton) checkButton.focus();
      });
    }

    var clear = form.querySelector("[data-ps-clear]");
    if (clear) {
      clear.addEventListener("click", function () {
        confirmDialog("clear").then(function (yes) {
          if (!yes) return;
          if (drafts) {
            var state = drafts.load();
            state.drafts = state.drafts.filter(function (d) { return d.id !== active; });
            state.active = active = null;
            drafts.save(state);
          }
          show({});
          say(form.dataset.msgCleared);
        });
      });
    }

    // The drafts dialog: every draft of this form, to open or delete, and a new one.
    var draftsButton = form.querySelector("[data-ps-drafts]");
    if (draftsButton && (!drafts || !draftsDialog || !draftsDialog.showModal)) draftsButton.remove();
    else if (draftsButton) wireDrafts();

    function wireDrafts() {
      var words = draftsDialog.dataset;
      var list = draftsDialog.querySelector(".ps-drafts__list");
      var nameInput = draftsDialog.querySelector("#ps-draft-name");

      function button(text, name, action) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "md-button";
        b.textContent = text;
        var hidden = document.createElement("span");
        hidden.className = "ps-visually-hidden";
        hidden.textContent = " " + name;
        b.appendChild(hidden);
        b.addEventListener("click", action);
        return b;
      }

      function render() {
        var state = drafts.load();
        list.textContent = "";
        state.drafts.forEach(function (draft) {
          var name = drafts.title(draft, words.unnamed);
          var item = document.createElement("li");
          item.className = "ps-drafts__item";
          var label = document.createElement("span");
          label.className = "ps-drafts__name";
          label.textContent = name + (draft.id === active ? " " + words.current : "");
          item.appendChild(label);
          if (draft.id !== active) {
            item.appendChild(button(words.open, name, function () {
              var fresh = drafts.load();
              var chosen = drafts.find(fresh, draft.id);
              if (!chosen) return render();
              fresh.active = active = chosen.id;
              drafts.save(fresh);
              show(chosen.answers);
              draftsDialog.close();
              say(words.opened.replace("{name}", name));
            }));
          }
          item.appendChild(button(words["delete"], name, function () {
            confirmDialog("delete", name).then(function (yes) {
              if (!yes) return;
              var fresh = drafts.load();
              fresh.drafts = fresh.drafts.filter(function (d) { return d.id !== draft.id; });
              if (draft.id === active) {
                fresh.active = active = null;
                show({});
              }
              drafts.save(fresh);
              render();
              say(words.deleted.replace("{name}", name));
              var next = list.querySelector("button") || nameInput;
              next.focus();
            });
          }));
          list.appendChild(item);
        });
      }

      draftsButton.addEventListener("click", function () {
        render();
        nameInput.value = "";
        draftsDialog.showModal();
        (list.querySelector("button") || nameInput).focus();
      });
      draftsDialog.addEventListener("close", function () { draftsButton.focus(); });
      draftsDialog.querySelector("[data-ps-drafts-close]").addEventListener("click", function () {
        draftsDialog.close();
      });
      draftsDialog.querySelector("[data-ps-draft-new]").addEventListener("click", function () {
        var name = nameInput.value.trim();
        startDraft(name, {});
        draftsDialog.close();
        say(words.opened.replace("{name}", name || words.unnamed));
      });
      nameInput.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          draftsDialog.querySelector("[data-ps-draft-new]").click();
        }
      });
    }

    controllers.set(form, {
      say: say,
      // Answers from a file: into the form if it is empty, else into a draft of their own.
      load: function (answers) {
        if (isEmpty(read(form))) {
          show(answers);
          save();
        } else {
          startDraft("", answers);
        }
      },
    });
  }

  // What forms-files.js builds on.
  window.psForms = {
    fields: fields,
    read: read,
    fileName: fileName,
    norwegianDate: norwegianDate,
    loadPdfLib: function () { return loadScript(PDF_LIB, "PDFLib"); },
    offer: offer,
    say: function (form, text) { controllers.get(form).say(text); },
    load: function (form, answers) { controllers.get(form).load(answers); },
  };

  wireConfirm();
  document.querySelectorAll("form[data-ps-form]").forEach(init);
  printFooter();
  // Controls that need this script show only now; the note for readers without it goes.
  document.querySelectorAll("[data-ps-needs-js]").forEach(function (el) { el.hidden = false; });
  document.querySelectorAll("[data-ps-nojs]").forEach(function (el) { el.hidden = true; });
})();
