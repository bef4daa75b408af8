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

// Drafts: a form with data-draft="KEY" keeps what is typed in this browser (localStorage) until
// it is sent, and puts it back when the page is opened again with the form empty. The login page
// shown for a form sent after the session ended hands the text over ([data-keep-draft]), so
// logging in again brings the member back to the form with their text in it.
const DRAFT_FIELDS = ["title", "body", "tags"];

function draftStore() {
  try { return window.localStorage; } catch { return null; }
}

function draftFields(form) {
  return DRAFT_FIELDS.map((name) => form.elements.namedItem(name))
    .filter((el) => el && "value" in el && el.type !== "hidden");
}

for (const kept of document.querySelectorAll("[data-keep-draft]")) {
  const values = {};
  for (const area of kept.querySelectorAll("textarea[data-name]")) values[area.dataset.name] = area.value;
  draftStore()?.setItem("draft:" + kept.dataset.keepDraft, JSON.stringify(values));
}

for (const form of document.querySelectorAll("form[data-draft]")) {
  const store = draftStore();
  if (!store) break;
  const key = "draft:" + form.dataset.draft;
  const fields = draftFields(form);
  let saved = null;
  try { saved = JSON.parse(store.getItem(key) || "null"); } catch { saved = null; }
  if (saved && fields.every((el) => !el.value.trim())) {
    for (const el of fields) if (typeof saved[el.name] === "string") el.value = saved[el.name];
    const note = document.createElement("p");
    note.className = "draft-note";
    note.setAttribute("role", "status");
    note.textContent = "Your unsent text is back.";
    form.prepend(note);
    const details = form.closest("details");
    if (details) details.open = true;
  }
  form.addEventListener("input", () => {
    const values = {};
    for (const el of fields) if (el.value.trim()) values[el.name] = el.value;
    if (Object.keys(values).length) store.setItem(key, JSON.stringify(values));
    else store.removeItem(key);
  });
  form.addEventListener("submit", () => store.removeItem(key));
}
