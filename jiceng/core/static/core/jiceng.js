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
