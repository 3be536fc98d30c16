// Copy buttons: <button data-copy="element-id"> copies that element's text.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const text = document.getElementById(button.dataset.copy).textContent;
  navigator.clipboard.writeText(text).then(() => { button.textContent = "Copied"; });
});

// Live SLA countdowns: every [data-live-url] element is redrawn from its URL every 30 s.
setInterval(() => {
  document.querySelectorAll("[data-live-url]").forEach(async (live) => {
    const response = await fetch(live.dataset.liveUrl, { headers: { "X-Requested-With": "fetch" } });
    if (response.ok && !response.redirected) live.innerHTML = await response.text();
  });
}, 30000);
