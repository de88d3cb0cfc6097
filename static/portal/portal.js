/* Plain JavaScript for the portal forms: adding item rows, and showing fields only when they apply. */
(function () {
  "use strict";

  // An inline formset: rows come from a <template> holding the empty form with __prefix__ as its index.
  document.querySelectorAll("[data-formset]").forEach(function (formset) {
    var prefix = formset.dataset.formset;
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = formset.querySelector("template[data-empty-form]");
    var body = formset.querySelector("[data-formset-body]");
    var addButton = formset.querySelector("[data-formset-add]");
    if (!total || !template || !body || !addButton) return;
    addButton.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      body.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var row = body.lastElementChild;
      var first = row && row.querySelector("input:not([type=hidden])");
      if (first) first.focus();
      var empty = formset.querySelector("[data-formset-empty]");
      if (empty) empty.remove();
    });
    // Rows marked for removal are greyed out, so the user sees what saving will do.
    formset.addEventListener("change", function (event) {
      if (event.target.matches("input[name$='-DELETE']")) {
        event.target.closest("tr").classList.toggle("marked-for-deletion", event.target.checked);
      }
    });
    formset.querySelectorAll("input[name$='-DELETE']:checked").forEach(function (box) {
      box.closest("tr").classList.add("marked-for-deletion");
    });
  });

  // <input data-show-when="share_type=conditional">: its field shows only when that select has that value.
  var dependents = document.querySelectorAll("[data-show-when]");
  function refresh() {
    dependents.forEach(function (input) {
      var rule = input.dataset.showWhen.split("=");
      var form = input.form;
      var control = form && form.elements[rule[0]];
      if (!control) return;
      var wrapper = input.closest(".mb-3") || input;
      var show = control.value === rule[1] || input.value.trim() !== "" || input.classList.contains("is-invalid");
      wrapper.hidden = !show;
    });
  }
  dependents.forEach(function (input) {
    var control = input.form && input.form.elements[input.dataset.showWhen.split("=")[0]];
    if (control) control.addEventListener("change", refresh);
  });
  refresh();
})();
