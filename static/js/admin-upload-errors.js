// markdownx reports a refused image upload only in the browser console and types
// "Invalid response" into the editor. Show the server's reason next to the editor instead.
document.addEventListener("DOMContentLoaded", () => {
  for (const widget of document.querySelectorAll(".markdownx")) {
    widget.addEventListener("markdownx.fileUploadError", (event) => {
      const textarea = widget.querySelector("textarea");
      const before = textarea.value;
      let reason = "The image could not be uploaded.";
      const response = event.detail && event.detail[0];
      if (response && response.image) reason = response.image.join(" ");
      let note = widget.querySelector(".upload-error");
      if (!note) {
        note = document.createElement("p");
        note.className = "errornote upload-error";
        note.setAttribute("role", "alert");
        widget.prepend(note);
      }
      note.textContent = reason;
      // markdownx inserts its placeholder right after this event; take it out again.
      window.setTimeout(() => { textarea.value = before; }, 0);
    });
  }
});
