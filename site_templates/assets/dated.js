// Keeps a page true after the day it was built: a guideline's notice shows the review date and
// the dated statements that have passed by the reader's today, and date fields do not offer a
// day before today. The build already did this for its own date; this only adds what has
// passed since.
(function () {
  "use strict";

  function today() {
    var now = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return now.getFullYear() + "-" + pad(now.getMonth() + 1) + "-" + pad(now.getDate());
  }

  function update() {
    var now = today();
    document.querySelectorAll("[data-ps-dated]").forEach(function (notice) {
      var due = false;
      notice.querySelectorAll("[data-ps-until]").forEach(function (item) {
        if (item.getAttribute("data-ps-until") < now) {
          item.hidden = false;
        }
        if (!item.hidden) {
          due = true;
        }
      });
      if (due) {
        notice.querySelectorAll("[data-ps-dated-lead], [data-ps-dated-list]").forEach(
          function (element) { element.hidden = false; });
      }
      var review = notice.querySelector("[data-ps-review]");
      if (review && review.getAttribute("data-ps-review") < now) {
        review.hidden = false;
      }
      if (due || (review && !review.hidden)) {
        notice.hidden = false;
      }
    });
    document.querySelectorAll('input[type="date"]').forEach(function (input) {
      if (!input.min || input.min < now) {
        input.min = now;
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }
})();
