// Form pages, files made and read in this browser (nothing is sent anywhere): the answers saved
// as a small JSON file, a filled PDF of this form or such a file opened back into the form, and
// a date offered as a calendar file (.ics). Builds on forms.js (window.psForms).
(function () {
  "use strict";

  var forms = window.psForms;
  if (!forms) return;

  var FORMAT = "policy-site-answers";
  var LARGEST = 20 * 1024 * 1024;  // a filled form is well under 1 MB; anything this big is not one

  // ------------------------------------------------------------------ answers file

  function answersFile(form) {
    return JSON.stringify({
      format: FORMAT,
      form: form.dataset.formId,
      version: form.dataset.formVersion,
      title: form.dataset.title,
      answers: forms.read(form),
    }, null, 2) + "\n";
  }

  // The answers of an answers file saved from this form, or null.
  function fromAnswersFile(form, text) {
    var data;
    try { data = JSON.parse(text); } catch (e) { return null; }
    if (!data || data.format !== FORMAT || data.form !== form.dataset.formId) return null;
    if (!data.answers || typeof data.answers !== "object" || Array.isArray(data.answers)) return null;
    var answers = Object.create(null);
    var names = Object.create(null);
    forms.fields(form).forEach(function (el) { names[el.name] = el; });
    Object.keys(data.answers).forEach(function (name) {
      var value = data.answers[name];
      if (!names[name]) return;  // a question this version of the form does not ask
      if (value === true || typeof value === "string") answers[name] = value;
    });
    return answers;
  }

  // ------------------------------------------------------------------ filled PDF

  function isoDate(text) {
    var parts = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(text.trim());
    return parts ? parts[3] + "-" + parts[2] + "-" + parts[1] : text.trim();
  }

  // The answers in a PDF of this very form (its fields are exactly the web form's, apart from
  // the signature fields), or null for any other PDF.
  function fromPdf(form, bytes) {
    return forms.loadPdfLib().then(function (lib) {
      return lib.PDFDocument.load(bytes).then(function (doc) {
        var pdfForm = doc.getForm();
        var inPdf = Object.create(null);
        pdfForm.getFields().forEach(function (field) {
          if (!(field instanceof lib.PDFSignature)) inPdf[field.getName()] = field;
        });
        var names = Object.create(null);
        forms.fields(form).forEach(function (el) { names[el.name] = true; });
        var same = Object.keys(names).length === Object.keys(inPdf).length &&
          Object.keys(names).every(function (name) { return name in inPdf; });
        if (!same) return null;
        var answers = {};
        forms.fields(form).forEach(function (el) {
          var field = inPdf[el.name];
          if (field instanceof lib.PDFCheckBox) {
            if (el.type === "checkbox" && field.isChecked()) answers[el.name] = true;
          } else if (field instanceof lib.PDFRadioGroup) {
            if (field.getSelected() === el.value) answers[el.name] = el.value;
          } else if (field instanceof lib.PDFDropdown) {
            var chosen = field.getSelected()[0];
            if (chosen) answers[el.name] = chosen;
          } else if (field instanceof lib.PDFTextField) {
            var text = field.getText() || "";
            if (text) answers[el.name] = el.type === "date" ? isoDate(text) : text;
          }
        });
        return answers;
      });
    }).catch(function () { return null; });  // not a PDF pdf-lib can read: not ours
  }

  function openFile(form, file) {
    var foreign = form.dataset.msgOpenForeign.replace("{file}", file.name);
    if (file.size > LARGEST) {
      forms.say(form, foreign);
      return Promise.resolve();
    }
    return file.arrayBuffer().then(function (buffer) {
      var bytes = new Uint8Array(buffer);
      var head = String.fromCharCode.apply(null, bytes.subarray(0, 5));
      if (head === "%PDF-") return fromPdf(form, bytes);
      return fromAnswersFile(form, new TextDecoder("utf-8").decode(bytes));
    }).then(function (answers) {
      if (!answers) {
        forms.say(form, foreign);
        return;
      }
      forms.load(form, answers);
      forms.say(form, form.dataset.msgOpened.replace("{file}", file.name));
    }, function () { forms.say(form, foreign); });
  }

  // ------------------------------------------------------------------ dates and calendar

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // An ISO date plus whole months; the 31st of a month without one becomes its last day.
  function addMonths(iso, months) {
    var parts = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
    if (!parts) return "";
    var year = +parts[1];
    var month = +parts[2] - 1 + months;
    year += Math.floor(month / 12);
    month = ((month % 12) + 12) % 12;
    var last = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
    return year + "-" + pad(month + 1) + "-" + pad(Math.min(+parts[3], last));
  }

  // Dates offered as another date plus some months (data-months-after), until the reader
  // writes a date of their own.
  function proposeDates(form) {
    form.querySelectorAll("[data-months-after]").forEach(function (el) {
      var from = form.querySelector("[name='" + el.dataset.monthsAfter + "']");
      var proposed = from ? addMonths(from.value, parseInt(el.dataset.months, 10)) : "";
      var untouched = !el.value || el.value === el.dataset.psProposed;
      if (proposed && untouched && el.value !== proposed) {
        el.value = proposed;
        el.dataset.psProposed = proposed;
        el.dispatchEvent(new Event("input", { bubbles: true }));  // saved with the draft
      } else if (proposed && el.value === proposed) {
        el.dataset.psProposed = proposed;
      }
    });
  }

  // RFC 5545 text: backslash, semicolon, comma and line breaks escaped.
  function icsText(text) {
    return text.replace(/\\/g, "\\\\").replace(/;/g, "\\;").replace(/,/g, "\\,")
      .replace(/\r\n|\r|\n/g, "\\n");
  }

  // Lines longer than 75 octets folded (CRLF and a space), never inside a character.
  function fold(line) {
    var out = [];
    var current = "";
    var size = 0;
    Array.from(line).forEach(function (ch) {
      var octets = new TextEncoder().encode(ch).length;
      if (size + octets > 75) {
        out.push(current);
        current = " ";
        size = 1;
      }
      current += ch;
      size += octets;
    });
    out.push(current);
    return out.join("\r\n");
  }

  function uid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2);
  }

  // One all-day event on the date, titled in the reader's written form.
  function calendarFile(iso, title) {
    var now = new Date();
    var stamp = now.getUTCFullYear() + pad(now.getUTCMonth() + 1) + pad(now.getUTCDate()) + "T" +
      pad(now.getUTCHours()) + pad(now.getUTCMinutes()) + pad(now.getUTCSeconds()) + "Z";
    var day = iso.replace(/-/g, "");
    var next = addMonths(iso, 0);
    var end = new Date(Date.UTC(+next.slice(0, 4), +next.slice(5, 7) - 1, +next.slice(8, 10) + 1));
    var endDay = end.getUTCFullYear() + pad(end.getUTCMonth() + 1) + pad(end.getUTCDate());
    return [
      "BEGIN:VCALENDAR",
      "VERSION:2.0",
      "PRODID:-//policy-site//forms//NO",
      "CALSCALE:GREGORIAN",
      "METHOD:PUBLISH",
      "BEGIN:VEVENT",
      "UID:" + uid() + "@policy-site",
      "DTSTAMP:" + stamp,
      "DTSTART;VALUE=DATE:" + day,
      "DTEND;VALUE=DATE:" + endDay,
      "SUMMARY:" + icsText(title),
      "TRANSP:TRANSPARENT",
      "END:VEVENT",
      "END:VCALENDAR",
    ].map(fold).join("\r\n") + "\r\n";
  }

  // ------------------------------------------------------------------ wiring

  function init(form) {
    var saveButton = form.querySelector("[data-ps-save-file]");
    if (saveButton) {
      saveButton.addEventListener("click", function () {
        forms.offer(answersFile(form), forms.fileName(form, ".json"), "application/json");
        forms.say(form, form.dataset.msgFileSaved);
      });
    }

    var openButton = form.querySelector("[data-ps-open]");
    var input = form.querySelector("[data-ps-open-file]");
    if (openButton && input) {
      openButton.addEventListener("click", function () { input.click(); });
      input.addEventListener("change", function () {
        var file = input.files && input.files[0];
        if (file) openFile(form, file).then(function () { input.value = ""; });
      });
    }

    proposeDates(form);
    form.addEventListener("change", function () { proposeDates(form); });
    form.addEventListener("ps-refresh", function () { proposeDates(form); });

    form.querySelectorAll("[data-ps-calendar]").forEach(function (button) {
      button.addEventListener("click", function () {
        var date = button.closest("[data-field]").querySelector("input[type=date]");
        if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date.value)) {
          forms.say(form, form.dataset.msgCalendarNoDate);
          if (date) date.focus();
          return;
        }
        var first = form.querySelector("input[type=text]");
        var who = first ? first.value.trim() : "";
        var title = button.dataset.psCalendar + (who ? " \u2013 " + who : "");
        var name = (title + " \u2013 " + forms.norwegianDate(date.value))
          .replace(/[\\/:*?"<>|\u0000-\u001f]+/g, " ") + ".ics";
        forms.offer(calendarFile(date.value, title), name, "text/calendar");
        forms.say(form, form.dataset.msgCalendarSaved);
      });
    });
  }

  document.querySelectorAll("form[data-ps-form]").forEach(init);
})();
