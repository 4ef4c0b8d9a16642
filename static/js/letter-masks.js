/*
 * Covering areas of a thank-you letter's scan (the back office's "cover areas" page).
 *
 * Staff drag a rectangle over the scan with a finger, a pen or the mouse (pointer events);
 * each area has a button that removes it. The areas, as fractions of the scan's width and
 * height, are written as JSON into the form's hidden field "masks", which the server checks
 * again. Without this script the page shows number fields per area instead; with it, those
 * are hidden and the drawing is the one way in. No inline script or style: positions are set
 * through the CSSOM, which the page's Content Security Policy allows.
 */
(function () {
  "use strict";

  // Smaller than this (a tap, a slip of the finger) is no area.
  var MIN_SIZE = 0.01;

  function clamp(value) {
    return Math.min(1, Math.max(0, value));
  }

  function round(value) {
    return Math.round(value * 10000) / 10000;
  }

  function setBox(element, mask) {
    element.style.left = mask.x * 100 + "%";
    element.style.top = mask.y * 100 + "%";
    element.style.width = mask.w * 100 + "%";
    element.style.height = mask.h * 100 + "%";
  }

  function init(editor) {
    var form = editor.closest("form");
    var field = form.querySelector("input[name=masks]");
    var canvas = editor.querySelector("[data-letter-masks-canvas]");
    var status = form.querySelector("[data-letter-masks-status]");
    var clear = form.querySelector("[data-letter-masks-clear]");
    var typed = form.querySelector("[data-letter-masks-typed]");
    var max = parseInt(editor.dataset.max, 10) || 50;
    var masks = [];
    var drawing = null;

    try {
      masks = JSON.parse(editor.dataset.masks || "[]");
    } catch (error) {
      masks = [];
    }

    function pointAt(event) {
      var box = canvas.getBoundingClientRect();
      return {
        x: clamp((event.clientX - box.left) / box.width),
        y: clamp((event.clientY - box.top) / box.height),
      };
    }

    function save() {
      field.value = JSON.stringify(masks);
      status.textContent = editor.dataset.countLabel.replace("{count}", String(masks.length));
      clear.disabled = masks.length === 0;
    }

    function render() {
      canvas.replaceChildren();
      masks.forEach(function (mask, index) {
        var area = document.createElement("div");
        area.className = "letter-masks__area";
        area.dataset.letterMasksArea = String(index + 1);
        setBox(area, mask);
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "letter-masks__remove";
        remove.textContent = "×";
        remove.setAttribute(
          "aria-label",
          editor.dataset.removeLabel.replace("{number}", String(index + 1))
        );
        remove.addEventListener("pointerdown", function (event) {
          // A tap on the button removes the area; it starts no new one.
          event.stopPropagation();
        });
        remove.addEventListener("click", function () {
          masks.splice(index, 1);
          render();
        });
        area.append(remove);
        canvas.append(area);
      });
      save();
    }

    function boxOf(start, end) {
      return {
        x: round(Math.min(start.x, end.x)),
        y: round(Math.min(start.y, end.y)),
        w: round(Math.abs(end.x - start.x)),
        h: round(Math.abs(end.y - start.y)),
      };
    }

    canvas.addEventListener("pointerdown", function (event) {
      if (event.button !== 0 || drawing) {
        return;
      }
      if (masks.length >= max) {
        status.textContent = editor.dataset.tooMany;
        return;
      }
      event.preventDefault();
      try {
        // The drag goes on when the finger leaves the scan.
        canvas.setPointerCapture(event.pointerId);
      } catch (error) {
        // A pointer the browser no longer knows: the drag still works inside the scan.
      }
      var start = pointAt(event);
      var element = document.createElement("div");
      element.className = "letter-masks__area letter-masks__area--drawing";
      setBox(element, { x: start.x, y: start.y, w: 0, h: 0 });
      canvas.append(element);
      drawing = { id: event.pointerId, start: start, element: element };
    });

    canvas.addEventListener("pointermove", function (event) {
      if (drawing && event.pointerId === drawing.id) {
        setBox(drawing.element, boxOf(drawing.start, pointAt(event)));
      }
    });

    function finish(event, keep) {
      if (!drawing || event.pointerId !== drawing.id) {
        return;
      }
      var mask = boxOf(drawing.start, pointAt(event));
      drawing.element.remove();
      drawing = null;
      if (keep && mask.w >= MIN_SIZE && mask.h >= MIN_SIZE) {
        masks.push(mask);
      }
      render();
    }

    canvas.addEventListener("pointerup", function (event) {
      finish(event, true);
    });
    canvas.addEventListener("pointercancel", function (event) {
      finish(event, false);
    });

    clear.addEventListener("click", function () {
      masks = [];
      render();
    });

    // From here on the drawing replaces the number fields.
    typed.hidden = true;
    canvas.hidden = false;
    status.hidden = false;
    clear.hidden = false;
    editor.classList.add("letter-masks--active");
    render();
  }

  document.querySelectorAll("[data-letter-masks]").forEach(init);
})();
