// "Link to this section" controls: plain links that, where the clipboard is available,
// also copy the address and say so. Without JavaScript they are ordinary links.
document.addEventListener("click", (event) => {
  const link = event.target.closest("a.permalink");
  if (!link || !navigator.clipboard || event.ctrlKey || event.metaKey || event.shiftKey) return;
  event.preventDefault();
  const url = new URL(link.getAttribute("href"), window.location.href).href;
  const status = document.getElementById("share-status");
  navigator.clipboard.writeText(url).then(
    () => {
      status.textContent = "Link copied: " + url;
      window.clearTimeout(status.hideTimer);
      status.hideTimer = window.setTimeout(() => { status.textContent = ""; }, 6000);
    },
    () => { window.location.href = url; },
  );
});
