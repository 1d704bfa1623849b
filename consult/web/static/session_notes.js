// The session-notes page: keep what the facilitator types in this browser (localStorage, one
// draft per session) so a closed tab or a crash loses nothing; put it back when the page opens
// with an empty box; forget it once the server says the note is saved. Without this script the
// form works the same, only without the draft.
(function () {
  "use strict";
  var form = document.querySelector("form[data-draft-key]");
  if (!form) { return; }
  var key = form.getAttribute("data-draft-key");
  var text = form.querySelector("textarea[name=text]");
  var hint = document.getElementById("text-hint");
  var store;
  try { store = window.localStorage; } catch (e) { return; }
  if (!store || !text) { return; }

  if (form.hasAttribute("data-saved")) {
    store.removeItem(key);
    // Once: reloading this address later must not throw away a newer draft.
    if (window.history && window.history.replaceState) {
      window.history.replaceState(null, "", window.location.pathname + "#new-note");
    }
  }
  var draft = store.getItem(key);
  if (draft && !text.value) {
    text.value = draft;
    if (hint) { hint.textContent = hint.getAttribute("data-restored-text"); }
  }
  text.addEventListener("input", function () {
    if (text.value) { store.setItem(key, text.value); } else { store.removeItem(key); }
  });
}());
