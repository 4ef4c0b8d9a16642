// Names the admin's Select2 comboboxes after their field's label (Select2 names them by the
// chosen value, so an empty picker has no name), and makes scrolling inline tables reachable
// by keyboard. Runs after Django's autocomplete.js has set the pickers up.
(function () {
  "use strict";

  function labelFor(select) {
    var label = select.id && document.querySelector('label[for="' + select.id + '"]');
    if (label) {
      return label.textContent.replace(/[:：]\s*$/, "").trim();
    }
    // Inline rows have no <label>: the column heading names the field.
    var cell = select.closest("td");
    var table = select.closest("table");
    if (cell && table) {
      var heading = table.querySelectorAll("thead th")[cell.cellIndex];
      if (heading) {
        return heading.textContent.trim();
      }
    }
    return "";
  }

  function nameComboboxes(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var container = select.nextElementSibling;
      var name = labelFor(select);
      if (!name || !container || !container.classList.contains("select2")) {
        return;
      }
      var named = '[role="combobox"], [role="textbox"], .select2-search__field';
      container.querySelectorAll(named).forEach(function (el) {
        el.setAttribute("aria-label", name);
      });
    });
  }

  function focusableScrollers(root) {
    root.querySelectorAll(".inline-related.tabular div.wrapper").forEach(function (wrapper) {
      var fieldset = wrapper.closest("fieldset");
      wrapper.setAttribute("tabindex", "0");
      wrapper.setAttribute("role", "region");
      if (fieldset && fieldset.getAttribute("aria-labelledby")) {
        wrapper.setAttribute("aria-labelledby", fieldset.getAttribute("aria-labelledby"));
      }
    });
  }

  // A changelist's results table scrolls sideways inside its box on a phone: the box takes
  // the keyboard's focus (arrow keys scroll it) and is named after the page's heading.
  function focusableResults() {
    var results = document.querySelector("#changelist-form .results");
    var heading = document.querySelector("#content h1");
    if (!results || results.hasAttribute("tabindex")) {
      return;
    }
    results.setAttribute("tabindex", "0");
    results.setAttribute("role", "region");
    if (heading) {
      if (!heading.id) {
        heading.id = "changelist-heading";
      }
      results.setAttribute("aria-labelledby", heading.id);
    }
  }

  // The changelist's search box is labelled by a magnifier icon; with a help text below
  // it, axe counts only that description. Its name is the icon's own text ("搜索").
  function nameSearchbar() {
    var bar = document.getElementById("searchbar");
    var icon = document.querySelector('label[for="searchbar"] img');
    if (bar && !bar.hasAttribute("aria-label")) {
      bar.setAttribute("aria-label", (icon && icon.getAttribute("alt")) || "Search");
    }
  }

  function run() {
    nameComboboxes(document);
    focusableScrollers(document);
    focusableResults();
    nameSearchbar();
  }

  if (window.django && window.django.jQuery) {
    // Queued after autocomplete.js's own ready handler, so Select2 is in place.
    window.django.jQuery(run);
    // A multiple picker redraws its search box when a value is added or removed.
    window.django.jQuery(document).on("change", "select.admin-autocomplete", function () {
      nameComboboxes(this.parentNode);
    });
    document.addEventListener("formset:added", function (event) {
      nameComboboxes(event.target);
    });
  } else {
    document.addEventListener("DOMContentLoaded", run);
  }
})();
