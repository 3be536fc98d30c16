// Copy buttons: <button data-copy="element-id"> copies that element's text.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const text = document.getElementById(button.dataset.copy).textContent;
  navigator.clipboard.writeText(text).then(() => { button.textContent = "Copied"; });
});

// Live SLA clocks: a [data-refresh-url] element inside [data-live] is re-fetched from the server every 30 s.
setInterval(() => {
  document.querySelectorAll("[data-live]").forEach(async (live) => {
    const url = live.firstElementChild && live.firstElementChild.dataset.refreshUrl;
    if (!url) return;
    const response = await fetch(url, { headers: { "X-Requested-With": "fetch" } });
    if (response.ok && !response.redirected) live.innerHTML = await response.text();
  });
}, 30000);
