// markdownx makes Tab type a tab character in its editors and Shift+Tab remove one, so a
// keyboard user cannot leave the field (WCAG 2.1.2). Its handler listens on the textarea; this
// one, on the window in the capture phase, runs first and keeps Tab from reaching it, so Tab
// and Shift+Tab move focus as in every other field. Ctrl+] and Ctrl+[ still indent lines.
window.addEventListener(
  "keydown",
  (event) => {
    if (event.key === "Tab" && event.target.closest && event.target.closest(".markdownx")) {
      event.stopPropagation();
    }
  },
  true,
);
