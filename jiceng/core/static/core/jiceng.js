// Small behaviours without inline script (the Content-Security-Policy forbids it).
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.classList && el.classList.contains("js-autosubmit")) {
    el.form.submit();
  }
});
document.addEventListener("click", function (event) {
  var el = event.target.closest("[data-confirm]");
  if (el && !window.confirm(el.getAttribute("data-confirm"))) {
    event.preventDefault();
    event.stopPropagation();
  }
}, true);
// Organisation tree: the first click loads children (htmx); later clicks fold and unfold.
document.addEventListener("click", function (event) {
  var el = event.target.closest(".tree .toggle");
  if (!el) { return; }
  var list = el.parentElement.querySelector(":scope > ul");
  if (el.dataset.loaded === "1") {
    list.hidden = !list.hidden;
    el.textContent = list.hidden ? "▸" : "▾";
  }
});
document.addEventListener("htmx:afterSwap", function (event) {
  // Only the tree's child lists; an outerHTML swap leaves the old target detached.
  var target = event.detail.target;
  if (!target.parentElement || !target.matches(".tree ul")) { return; }
  var toggle = target.parentElement.querySelector(":scope > .toggle");
  if (toggle) {
    toggle.dataset.loaded = "1";
    toggle.textContent = "▾";
  }
});
// Organisation picker (orgs.forms.OrgPickerInput): a result fills the code box it belongs to.
document.addEventListener("click", function (event) {
  var el = event.target.closest("[data-pick-code]");
  if (!el) { return; }
  var input = document.getElementById(el.dataset.pickTarget);
  if (!input) { return; }
  input.value = el.dataset.pickCode;
  input.dispatchEvent(new Event("change", { bubbles: true }));
  var picker = input.closest(".org-picker");
  var results = picker.querySelector(".org-picker-results");
  var chosen = document.createElement("div");
  chosen.className = "list-group-item small text-success";
  chosen.setAttribute("data-testid", "pick-chosen");
  chosen.textContent = "✓ " + el.dataset.pickName + " · " + el.dataset.pickCode;
  results.replaceChildren(chosen);
  picker.querySelector(".org-picker-search").value = "";
});
