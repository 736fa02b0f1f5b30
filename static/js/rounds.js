// Assessment form: "Remove" takes its question/answer pair off the form (nothing is saved until
// "Save assessment"); focus moves to the next pair, or to "Add question" when none is left.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-remove-round]");
  if (!button) {
    return;
  }
  var round = button.closest(".round");
  var neighbour = round.nextElementSibling || round.previousElementSibling;
  round.remove();
  var focus = neighbour ? neighbour.querySelector("textarea") : document.getElementById("add-round");
  if (focus) {
    focus.focus();
  }
});
