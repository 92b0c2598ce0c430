// The case list from the keyboard and with saved filters. j / k move the current row, Enter
// opens its case, x ticks it for a batch; "全选" ticks the page. Saved filters are the list's
// query strings, kept in this browser (localStorage) under a name the liaison gives.
// Without script the list, its filters and the batch form work as they are.
(function () {
  var table = document.getElementById("case-list");
  if (!table) return;
  var rows = Array.prototype.slice.call(table.querySelectorAll("tbody tr")).filter(function (r) {
    return r.querySelector("a");
  });
  var current = -1;
  function move(to) {
    if (!rows.length) return;
    if (current >= 0) rows[current].classList.remove("current");
    current = Math.max(0, Math.min(rows.length - 1, to));
    rows[current].classList.add("current");
    rows[current].scrollIntoView({block: "nearest"});
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (target && /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName)) return;
    if (event.key === "j") { move(current + 1); event.preventDefault(); }
    else if (event.key === "k") { move(current - 1); event.preventDefault(); }
    else if (event.key === "Enter" && current >= 0) {
      window.location.href = rows[current].querySelector("a").getAttribute("href");
    } else if (event.key === "x" && current >= 0) {
      var box = rows[current].querySelector("input[type=checkbox]");
      if (box) box.checked = !box.checked;
    }
  });
  var all = table.querySelector("input.check-all");
  if (all) all.addEventListener("change", function () {
    table.querySelectorAll("tbody input[type=checkbox]").forEach(function (box) {
      box.checked = all.checked;
    });
  });

  var saved = document.getElementById("saved-filters");
  if (!saved || !window.localStorage) return;
  var KEY = "amlwatch.saved-filters";
  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "[]"); } catch (e) { return []; }
  }
  function show() {
    var list = saved.querySelector(".saved-list");
    list.textContent = "";
    load().forEach(function (item, i) {
      var link = document.createElement("a");
      link.href = "/cases" + (item.query ? "?" + item.query : "");
      link.textContent = item.name;
      link.className = "saved-filter";
      var drop = document.createElement("button");
      drop.type = "button";
      drop.textContent = "删除";
      drop.setAttribute("aria-label", "删除常用筛选 " + item.name);
      drop.addEventListener("click", function () {
        var items = load();
        items.splice(i, 1);
        localStorage.setItem(KEY, JSON.stringify(items));
        show();
      });
      list.appendChild(link);
      list.appendChild(drop);
    });
  }
  saved.hidden = false;
  saved.querySelector(".save-filter").addEventListener("click", function () {
    var name = window.prompt("为当前筛选命名：", "");
    if (!name) return;
    var items = load().filter(function (item) { return item.name !== name; });
    items.push({name: name.slice(0, 40), query: saved.getAttribute("data-query") || ""});
    localStorage.setItem(KEY, JSON.stringify(items));
    show();
  });
  show();
})();
