// A little progressive enhancement; every page works without it.
// Copy buttons: <button data-copy="#input-id">Copy</button> copies that input's value.
"use strict";
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  if (!source) return;
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(source.value || source.textContent);
    button.textContent = "Copied";
  } catch {
    source.select?.();  // no clipboard access (plain http): select it for Ctrl+C
    button.textContent = "Press Ctrl+C";
  }
  setTimeout(() => { button.textContent = label; }, 2000);
});
