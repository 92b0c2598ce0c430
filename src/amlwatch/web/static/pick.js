// A list of checkboxes with a search box above it (class pick-filter): typing hides the
// choices whose code and name do not contain the text. Without script every choice shows.
document.querySelectorAll("input.pick-filter").forEach(function (box) {
  var list = box.parentElement.querySelector(".pick-list");
  box.addEventListener("input", function () {
    var wanted = box.value.trim().toLowerCase();
    list.querySelectorAll("label").forEach(function (choice) {
      choice.hidden = wanted !== "" && choice.textContent.toLowerCase().indexOf(wanted) < 0;
    });
  });
});
